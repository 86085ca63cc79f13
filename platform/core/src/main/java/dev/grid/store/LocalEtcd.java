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
    /** The local etcd's space quota: etcd's own default, which Grid assumes of an operator's etcd too. */
    public static final long QUOTA_BYTES = 2L << 30;

    private final ProcessHandle process;
    private final String clientUrl;
    private final String peerUrl;

    private LocalEtcd(ProcessHandle process, String clientUrl, String peerUrl) {
        this.process = process;
        this.clientUrl = clientUrl;
        this.peerUrl = peerUrl;
    }

    /**
     * The etcd an earlier run started (its pid in {@code pidFile}) if it still runs and answers on
     * {@code clientPort}: a Grid server that stopped for a restart, or was killed, leaves it running
     * for the keepers of its data nodes, and the next one carries on with it. Empty otherwise.
     */
    public static java.util.Optional<LocalEtcd> adopt(Path pidFile, int clientPort, int peerPort) {
        try {
            if (!Files.exists(pidFile)) return java.util.Optional.empty();
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            java.util.Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().command().map(c -> c.endsWith("etcd")).orElse(false));
            if (p.isEmpty() || !answers(clientPort)) return java.util.Optional.empty();
            return java.util.Optional.of(new LocalEtcd(p.get(), "http://127.0.0.1:" + clientPort, "http://127.0.0.1:" + peerPort));
        } catch (IOException | NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts etcd with its data in {@code dataDir}, listening on 127.0.0.1 ports; 0 picks free ones. */
    public static LocalEtcd start(Path dataDir, int clientPort, int peerPort) {
        boolean picked = clientPort == 0 || peerPort == 0;
        for (int attempt = 1; ; attempt++) {
            try {
                return startOn(dataDir, clientPort, peerPort);
            } catch (IllegalStateException e) {
                // A port this picked can be taken before etcd binds it: pick again, a few times.
                if (!picked || attempt == 3 || !String.valueOf(e.getMessage()).contains("address already in use")) throw e;
            }
        }
    }

    private static LocalEtcd startOn(Path dataDir, int clientPort, int peerPort) {
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
                    "--auto-compaction-retention", "1h", "--quota-backend-bytes", String.valueOf(QUOTA_BYTES))
                    .redirectErrorStream(true)
                    .redirectOutput(dataDir.resolve("etcd.log").toFile());
            pb.environment().put("ETCD_UNSUPPORTED_ARCH", "");
            Process p = pb.start();
            LocalEtcd etcd = new LocalEtcd(p.toHandle(), client, peer);
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
                throw new IllegalStateException("etcd exited: " + tail(logFile));
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

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A loopback port free now, and never one this JVM handed out before: the kernel may give the
     * same free port to two binds in a row, and a test that asks for several ports before it binds
     * any (etcd, API, HTTP, SSH) then starts two listeners on one port.
     */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort()) || attempt == 100) return s.getLocalPort();
            }
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
            process.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
