package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code grid up | down | restart | status}: the embedded single-machine Grid as a background process. */
final class Lifecycle {
    /**
     * The server's young generation. The router allocates roughly 2 KB per proxied request; with
     * the default young generation (a third of a 16 MB starting heap) a young collection stopped
     * every connection for about 0.7 ms some 14 times a second at 40,000 req/s, which set the
     * router's p99. With 48 MB the router's p99 was 0.81x and its CPU per request 0.83x in an
     * alternating A/B run, for 36 MB more RSS (docs/benchmarks.md). bench/router.sh uses the same flags.
     */
    static final String YOUNG_GENERATION = "-Xmn48m";

    private Lifecycle() {}

    static Optional<ProcessHandle> running() {
        Path pid = Api.home().resolve("grid.pid");
        try {
            if (!Files.exists(pid)) return Optional.empty();
            return ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static List<String> tail(Path file, int n) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.subList(Math.max(0, lines.size() - n), lines.size());
        } catch (IOException e) {
            return List.of();
        }
    }

    @Command(name = "up", description = "Start Grid on this machine: local etcd (unless --etcd), controller, scheduler and host agent.")
    static final class Up extends Grid.Base {
        @Option(names = "--etcd", paramLabel = "URL,...", description = "use this etcd cluster instead of starting a local one") String etcd;
        @Option(names = "--foreground", description = "stay attached; Ctrl-C stops Grid") boolean foreground;
        @Option(names = "--timeout", description = "seconds to wait for Grid to be ready (default 120)") int timeout = 120;

        public Integer call() throws Exception {
            Path home = Api.home();
            if (running().isPresent()) {
                out().println("Grid is already running (pid " + running().get().pid() + "); see 'grid status'");
                out().flush();
                return 0;
            }
            String jar = System.getProperty("grid.server.jar", System.getenv("GRID_SERVER_JAR"));
            if (jar == null || !Files.exists(Path.of(jar))) {
                throw new CliException("the Grid server jar is missing (" + jar + "): run ./grid from the repository, which builds it");
            }
            Files.createDirectories(home.resolve("logs"));
            Files.deleteIfExists(home.resolve("cli.json"));
            // The server runs a copy of the jar, put in place by a rename: a rebuild of the repository's jar (an
            // upgrade, then 'grid restart') never rewrites the file a running server loads its classes from.
            // Its time is kept: the keeper program packed from it is named by it, and an unchanged jar must not roll the data nodes.
            Path runJar = home.resolve("grid-server.jar");
            if (!Files.exists(runJar) || Files.size(runJar) != Files.size(Path.of(jar))
                    || !Files.getLastModifiedTime(runJar).equals(Files.getLastModifiedTime(Path.of(jar)))) {
                Path copy = home.resolve("grid-server.jar.new");
                Files.copy(Path.of(jar), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                Files.move(copy, runJar, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            List<String> cmd = new ArrayList<>();
            if (!foreground && Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
            cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-XX:+UseSerialGC", "-Xss512k", "-XX:MaxRAM=1g", YOUNG_GENERATION, "-Dio.netty.leakDetection.level=disabled", "-jar", runJar.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("GRID_HOME", home.toString());
            if (etcd != null) pb.environment().put("GRID_ETCD", etcd);
            Path log = home.resolve("logs/grid.log");
            if (foreground) {
                return pb.inheritIO().start().waitFor();
            }
            pb.redirectErrorStream(true).redirectOutput(java.lang.ProcessBuilder.Redirect.appendTo(log.toFile()));
            Instant started = Instant.now();
            Process p = pb.start();
            out().println("Starting Grid (pid " + p.pid() + ", log " + log + ")");
            out().flush();
            String waitingFor = "";
            Instant deadline = started.plus(Duration.ofSeconds(timeout));
            while (Instant.now().isBefore(deadline)) {
                if (!p.isAlive()) {
                    List<String> last = tail(log, 15);
                    // A reason the server names itself is one line; anything else shows the end of the log.
                    String reason = last.stream().filter(l -> l.startsWith("grid: ")).reduce((a, b) -> b).orElse(null);
                    if (reason != null) throw new CliException(reason.substring("grid: ".length()));
                    throw new CliException("Grid exited with code " + p.exitValue() + " while starting:\n" + String.join("\n", last));
                }
                String now;
                if (!Files.exists(home.resolve("cli.json"))) {
                    now = "waiting for etcd, the host agent and the controller to start";
                } else {
                    JsonNode status = null;
                    try {
                        status = Api.fromEnvironment().get("/status");
                    } catch (CliException notYet) {
                        // controller still binding
                    }
                    if (status != null && status.path("hosts").size() > 0 && !status.path("scheduler").isNull()) {
                        Api api = Api.fromEnvironment();
                        out().printf("Grid is up in %.1f s: API %s, %d host(s), scheduler %s%n",
                                Duration.between(started, Instant.now()).toMillis() / 1000.0, api.url,
                                status.path("hosts").size(), status.path("scheduler").asText());
                        out().flush();
                        return 0;
                    }
                    now = status == null ? "waiting for the controller API" : "waiting for a host to register and a scheduler to be elected";
                }
                if (!now.equals(waitingFor)) {
                    out().println("  " + now + "...");
                    out().flush();
                    waitingFor = now;
                }
                Thread.sleep(200);
            }
            throw new CliException("Grid was not ready within " + timeout + " s (" + waitingFor + "); see " + log);
        }
    }

    @Command(name = "down", description = "Stop Grid and its jobs on this machine; volumes and state are kept. "
            + "With --keep-workloads, apps and data nodes keep running (for an upgrade: the next 'grid up' adopts them).")
    static final class Down extends Grid.Base {
        @picocli.CommandLine.Option(names = "--keep-workloads", description = "Stop only Grid itself: app jobs, data nodes, TCP routes and the local etcd keep running.")
        boolean keepWorkloads;

        public Integer call() throws Exception {
            stop(this, keepWorkloads);
            return 0;
        }
    }

    /** Stops the running server, with its workloads or without; says so if none runs. */
    static void stop(Grid.Base cmd, boolean keepWorkloads) throws Exception {
        Optional<ProcessHandle> p = running();
        if (p.isEmpty()) {
            cmd.out().println("Grid is not running");
            cmd.out().flush();
            return;
        }
        Path marker = Api.home().resolve("stop-workloads"); // GridServer.STOP_WORKLOADS
        if (keepWorkloads) {
            Files.deleteIfExists(marker);
            cmd.out().println("Stopping Grid (pid " + p.get().pid() + "): its jobs, data nodes and TCP routes keep running...");
        } else {
            Files.writeString(marker, "");
            cmd.out().println("Stopping Grid (pid " + p.get().pid() + "): stopping its jobs, keeping volumes...");
        }
        cmd.out().flush();
        p.get().destroy();
        try {
            p.get().onExit().get(90, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CliException("Grid (pid " + p.get().pid() + ") did not stop within 90 s; see " + Api.home().resolve("logs/grid.log"));
        }
        cmd.out().println("Grid stopped");
        cmd.out().flush();
    }

    @Command(name = "restart", description = "Restart Grid on this machine (after an upgrade: the ./grid launcher runs the jar it has just built). "
            + "App jobs, data nodes, TCP routes and the local etcd keep running throughout; the new server adopts them, and the "
            + "data nodes then move to the new keeper one at a time.")
    static final class Restart extends Grid.Base {
        @Option(names = "--etcd", paramLabel = "URL,...", description = "use this etcd cluster instead of a local one") String etcd;
        @Option(names = "--timeout", description = "seconds to wait for Grid to be ready again (default 120)") int timeout = 120;

        public Integer call() throws Exception {
            stop(this, true);
            Up up = new Up();
            up.etcd = etcd;
            up.timeout = timeout;
            up.spec = spec;
            up.grid = grid;
            return up.call();
        }
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "unknown" : (bytes >> 20) + " MiB";
    }

    @Command(name = "status", description = "Show hosts, the scheduler leader and what runs where.")
    static final class Status extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/status");
        }

        /** Reserved / free / what jobs may reserve; with overcommit, the host's own memory too. */
        static String memory(long reserved, long free, long schedulable, long total, double overcommit) {
            String base = String.format(java.util.Locale.ROOT, "%,d / %,d / %,d MB", reserved, free, schedulable);
            return overcommit > 1 ? base + String.format(java.util.Locale.ROOT, " (%,d MB x %s overcommit)", total, new java.math.BigDecimal(String.valueOf(overcommit)).stripTrailingZeros().toPlainString()) : base;
        }

        @Override
        void render(JsonNode s) throws Exception {
            out().println("Grid at " + api().url + ": " + s.path("apps").asInt() + " app(s), " + s.path("jobs").asInt()
                    + " job(s); scheduler leader " + s.path("scheduler").asText("(none)"));
            Table t = new Table("HOST", "ADDRESS", "PORTS (IN USE)", "MEMORY (RESERVED / FREE / TOTAL)", "JOBS");
            for (JsonNode h : s.path("hosts")) {
                JsonNode info = h.path("host");
                List<String> jobs = new ArrayList<>();
                h.path("jobs").forEach(j -> jobs.add(j.asText()));
                int ports = info.path("portMax").asInt() - info.path("portMin").asInt() + 1;
                t.row(info.path("id").asText(), info.path("address").asText(),
                        info.path("portMin").asText() + "-" + info.path("portMax").asText() + " (" + h.path("portsInUse").asInt() + " of " + ports + ")",
                        memory(h.path("reservedMb").asLong(), h.path("freeMb").asLong(), h.path("schedulableMb").asLong(info.path("memoryMb").asLong()),
                                info.path("memoryMb").asLong(), info.path("memoryOvercommit").asDouble(1)),
                        jobs.isEmpty() ? "-" : String.join(" ", jobs));
            }
            t.print(out());
            for (JsonNode u : s.path("unplaced")) {
                out().println("UNPLACED: " + u.path("missing").asInt() + " " + u.path("type").asText() + " job(s) of " + u.path("app").asText()
                        + ": " + u.path("reason").asText());
            }
            if (s.path("routers").size() > 0) {
                out().println();
                Table r = new Table("ROUTER", "ADDRESS", "TCP ROUTES");
                for (JsonNode x : s.path("routers")) r.row(x.path("host").asText(), x.path("address").asText(), x.path("tcpDatapath").asText());
                r.print(out());
            }
            JsonNode disk = s.path("disk");
            if (!disk.isMissingNode()) {
                out().println();
                Table d = new Table("DISK", "USED", "FREE");
                long etcd = disk.path("etcdBytes").asLong(-1);
                d.row("etcd database", etcd < 0 ? "unknown" : mib(etcd) + " of its " + mib(disk.path("etcdQuota").asLong()) + " quota", "-");
                if (disk.path("blobsFree").asLong(-1) >= 0) {
                    d.row("blobs (" + disk.path("blobsDir").asText() + ")", mib(disk.path("blobsBytes").asLong()),
                            mib(disk.path("blobsFree").asLong()) + " of " + mib(disk.path("blobsTotal").asLong()));
                }
                d.print(out());
                for (JsonNode w : disk.path("warnings")) out().println("WARNING: " + w.asText());
            }
        }
    }
}
