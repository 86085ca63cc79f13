package dev.grid.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A single-member etcd started from Debian's etcd-server package, for the
 * embedded single-machine Grid and for integration tests.
 */
public final class LocalEtcd implements AutoCloseable {
    private final Process process;
    private final String clientUrl;
    private final String peerUrl;

    private LocalEtcd(Process process, String clientUrl, String peerUrl) {
        this.process = process;
        this.clientUrl = clientUrl;
        this.peerUrl = peerUrl;
    }

    /** Starts etcd with its data in {@code dataDir}, listening on 127.0.0.1 ports; 0 picks free ones. */
    public static LocalEtcd start(Path dataDir, int clientPort, int peerPort) {
        Path binary = findBinary();
        try {
            Files.createDirectories(dataDir);
            if (clientPort == 0) clientPort = freePort();
            if (peerPort == 0) peerPort = freePort();
            String client = "http://127.0.0.1:" + clientPort;
            String peer = "http://127.0.0.1:" + peerPort;
            ProcessBuilder pb = new ProcessBuilder(binary.toString(),
                    "--name", "grid", "--data-dir", dataDir.resolve("data").toString(),
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", "grid=" + peer,
                    "--auto-compaction-retention", "1h", "--quota-backend-bytes", String.valueOf(2L << 30))
                    .redirectErrorStream(true)
                    .redirectOutput(dataDir.resolve("etcd.log").toFile());
            pb.environment().put("ETCD_UNSUPPORTED_ARCH", "");
            Process p = pb.start();
            LocalEtcd etcd = new LocalEtcd(p, client, peer);
            etcd.awaitReady(clientPort, Duration.ofSeconds(30), dataDir.resolve("etcd.log"));
            return etcd;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start etcd: " + e.getMessage(), e);
        }
    }

    private static Path findBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "etcd");
            if (Files.isExecutable(p)) return p;
        }
        throw new IllegalStateException("etcd is not installed: run scripts/setup-host.sh (Debian package etcd-server)");
    }

    private void awaitReady(int port, Duration timeout, Path logFile) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with " + process.exitValue() + ": " + tail(logFile));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("etcd did not listen on port " + port + " within " + timeout.toSeconds() + " s: " + tail(logFile));
    }

    private static String tail(Path logFile) throws IOException {
        List<String> lines = Files.readAllLines(logFile);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public String clientUrl() {
        return clientUrl;
    }

    public String peerUrl() {
        return peerUrl;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
