package dev.grid.router;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.x responses read off the wire the way a strict client frames them (RFC 9112 §6.3):
 * no body for HEAD, 1xx, 204 and 304; chunked when the last transfer coding is chunked; else
 * Content-Length; else the body ends with the connection. What it read says whether the
 * response was complete, so a truncated one never passes for whole.
 */
final class Wire {
    private Wire() {}

    /** One response head and body; {@code interim} are the 1xx responses before it. */
    record Response(String statusLine, int status, List<String[]> headers, byte[] body, List<String[]> trailers, String framing,
                    boolean complete, List<Response> interim) {
        String header(String name) {
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
            return null;
        }

        List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) out.add(h[1]);
            return out;
        }

        boolean closes() {
            String c = header("Connection");
            return "close".equals(framing) || (c != null && c.toLowerCase(Locale.ROOT).contains("close"));
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(statusLine);
            for (String[] h : headers) b.append(" | ").append(h[0]).append(": ").append(h[1]);
            return b + " || " + framing + (complete ? "" : " (incomplete)") + " body " + body.length + " B"
                    + (interim.isEmpty() ? "" : " after " + interim.stream().map(Response::statusLine).toList());
        }
    }

    /** The final response to a request of {@code method}, with the 1xx (but 101) responses before it. */
    static Response read(InputStream in, String method) throws IOException {
        List<Response> interim = new ArrayList<>();
        while (true) {
            Response r = readOne(in, method);
            if (r.status() >= 200 || r.status() == 101) {
                return new Response(r.statusLine(), r.status(), r.headers(), r.body(), r.trailers(), r.framing(), r.complete(), interim);
            }
            interim.add(r);
        }
    }

    /** One response, interim or final. */
    static Response readOne(InputStream in, String method) throws IOException {
        String status = line(in);
        if (status == null) throw new IOException("the connection ended before a response");
        String[] parts = status.split(" ", 3);
        int code = Integer.parseInt(parts[1]);
        List<String[]> headers = fields(in);
        if (method.equals("HEAD") || code < 200 || code == 204 || code == 304) {
            return new Response(status, code, headers, new byte[0], List.of(), "none", true, List.of());
        }
        String te = null;
        String cl = null;
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("Transfer-Encoding")) te = te == null ? h[1] : te + "," + h[1];
            if (h[0].equalsIgnoreCase("Content-Length")) cl = h[1];
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (te != null && te.toLowerCase(Locale.ROOT).strip().endsWith("chunked")) {
            List<String[]> trailers = new ArrayList<>();
            boolean complete = chunked(in, body, trailers);
            return new Response(status, code, headers, body.toByteArray(), trailers, "chunked", complete, List.of());
        }
        if (te == null && cl != null) {
            long length = Long.parseLong(cl.strip());
            byte[] got = in.readNBytes((int) length);
            return new Response(status, code, headers, got, List.of(), "length", got.length == length, List.of());
        }
        in.transferTo(body);
        return new Response(status, code, headers, body.toByteArray(), List.of(), "close", true, List.of());
    }

    private static boolean chunked(InputStream in, ByteArrayOutputStream body, List<String[]> trailers) throws IOException {
        while (true) {
            String size = line(in);
            if (size == null) return false;
            int semi = size.indexOf(';');
            long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
            if (n == 0) {
                while (true) {
                    String t = line(in);
                    if (t == null) return false;
                    if (t.isEmpty()) return true;
                    int colon = t.indexOf(':');
                    trailers.add(new String[] {t.substring(0, colon).strip(), t.substring(colon + 1).strip()});
                }
            }
            byte[] chunk = in.readNBytes((int) n);
            body.write(chunk);
            if (chunk.length < n) return false;
            if (line(in) == null) return false;
        }
    }

    private static List<String[]> fields(InputStream in) throws IOException {
        List<String[]> headers = new ArrayList<>();
        for (String h; (h = line(in)) != null && !h.isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.add(new String[] {h.substring(0, colon).strip(), h.substring(colon + 1).strip()});
        }
        return headers;
    }

    /** A CRLF-ended line without its end; null at the end of the stream. */
    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') if (c != '\r') b.append((char) c);
        return c == -1 && b.length() == 0 ? null : b.toString();
    }
}
