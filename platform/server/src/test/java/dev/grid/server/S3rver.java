package dev.grid.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An S3-compatible store on loopback for the tests of the Postgres archive's operator repository:
 * s3rver (npm, installed by scripts/setup-host.sh) over HTTPS with a certificate of its own, one
 * bucket, its files in a temporary directory; stopped and removed on close.
 */
final class S3rver implements AutoCloseable {
    static final String BUCKET = "grid-archive";
    final Path dir;
    final int port;
    private final Process process;

    private S3rver(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    static S3rver start() throws Exception {
        Path dir = Files.createTempDirectory("grid-s3rver");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString(), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"));
        Files.createDirectories(dir.resolve("data"));
        Process p;
        try {
            p = new ProcessBuilder("s3rver", "--directory", dir.resolve("data").toString(), "--address", "127.0.0.1", "--port", String.valueOf(port),
                    "--key", dir.resolve("key.pem").toString(), "--cert", dir.resolve("cert.pem").toString(), "--configure-bucket", BUCKET)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3rver.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("s3rver is not installed: run scripts/setup-host.sh (npm install -g s3rver)", e);
        }
        S3rver s3 = new S3rver(dir, port, p);
        dev.grid.testing.Eventually.await("s3rver on 127.0.0.1:" + port, Duration.ofSeconds(20), () -> {
            if (!p.isAlive()) throw new IllegalStateException("s3rver exited: " + log(dir));
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }, ok -> ok);
        return s3;
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("s3rver.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** A GRID_PG_ARCHIVE_REPO file that points pgBackRest at this store's bucket. */
    Path repoConf() throws IOException {
        Path conf = dir.resolve("pg-archive.conf");
        Files.writeString(conf, String.join("\n", "# s3rver on loopback", "repo1-type=s3", "repo1-s3-endpoint=127.0.0.1",
                "repo1-storage-port=" + port, "repo1-s3-bucket=" + BUCKET, "repo1-s3-region=us-east-1", "repo1-s3-key=S3RVER",
                "repo1-s3-key-secret=S3RVER", "repo1-s3-uri-style=path", "repo1-storage-verify-tls=n") + "\n");
        return conf;
    }

    /** How many objects the bucket holds under {@code prefix} (s3rver keeps each as a file ending in _S3rver_object). */
    long objects(String prefix) throws IOException {
        Path root = dir.resolve("data").resolve(BUCKET).resolve(prefix);
        if (!Files.isDirectory(root)) return 0;
        try (var files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().endsWith("_S3rver_object")).count();
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + ": " + out);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
