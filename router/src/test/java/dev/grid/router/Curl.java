package dev.grid.router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * curl (Debian's, with nghttp2) as a client of the router's TLS port: what it got, as
 * {@link Wire.Response}s (each header block it saw: 1xx first, then the final one, then any
 * trailers), its exit code and its HTTP version.
 */
final class Curl {
    private Curl() {}

    record Result(int exit, String version, List<Wire.Response> blocks, byte[] body, String stderr) {
        /** The final response, with the body; its {@code interim} are the 1xx before it, its trailers those after. */
        Wire.Response response() {
            List<Wire.Response> interim = new ArrayList<>();
            Wire.Response last = null;
            int i = 0;
            for (; i < blocks.size(); i++) {
                Wire.Response b = blocks.get(i);
                if (b.status() >= 200 || b.status() == 101) {
                    last = b;
                    break;
                }
                interim.add(b);
            }
            if (last == null) throw new AssertionError("no final response from curl (exit " + exit + "): " + stderr);
            List<String[]> trailers = i + 1 < blocks.size() ? blocks.get(i + 1).headers() : List.of();
            return new Wire.Response(last.statusLine(), last.status(), last.headers(), body, trailers, "h2", exit == 0, interim);
        }

        @Override
        public String toString() {
            return "curl exit " + exit + ", HTTP/" + version + ", " + blocks + (stderr.isBlank() ? "" : " (" + stderr.strip() + ")");
        }
    }

    /** {@code curl ARGS... https://HOST/PATH}, connecting to 127.0.0.1:PORT (so the authority is HOST alone), any certificate taken. */
    static Result https(int port, String host, String path, String... args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("curl");
        try {
            List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-k", "--max-time", "10", "--connect-to", host + ":443:127.0.0.1:" + port,
                    "-D", dir.resolve("head").toString(), "-o", dir.resolve("body").toString(), "-w", "%{http_version}"));
            cmd.addAll(List.of(args));
            cmd.add("https://" + host + path);
            Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("err").toFile()).start();
            String version = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("curl did not end within 20 s: " + cmd);
            }
            byte[] body = Files.exists(dir.resolve("body")) ? Files.readAllBytes(dir.resolve("body")) : new byte[0];
            String head = Files.exists(dir.resolve("head")) ? Files.readString(dir.resolve("head")) : "";
            return new Result(p.exitValue(), version, blocks(head), body, Files.readString(dir.resolve("err")));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(dir);
        }
    }

    /** curl's header dump: blocks of lines ended by an empty line; a block that starts with a status line is a response, else trailers. */
    private static List<Wire.Response> blocks(String dump) {
        List<Wire.Response> out = new ArrayList<>();
        for (String block : dump.split("\r\n\r\n")) {
            if (block.isBlank()) continue;
            String[] lines = block.strip().split("\r\n");
            boolean status = lines[0].startsWith("HTTP/");
            List<String[]> headers = new ArrayList<>();
            for (int i = status ? 1 : 0; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) headers.add(new String[] {lines[i].substring(0, colon).strip(), lines[i].substring(colon + 1).strip()});
            }
            int code = status ? Integer.parseInt(lines[0].split(" ")[1]) : 0;
            out.add(new Wire.Response(status ? lines[0] : "trailers", code, headers, new byte[0], List.of(), "h2", true, List.of()));
        }
        return out;
    }
}
