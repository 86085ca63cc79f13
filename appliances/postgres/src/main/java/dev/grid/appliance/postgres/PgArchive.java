package dev.grid.appliance.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.appliance.ClusterCa;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.Command;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared cluster's continuous archive, with pgBackRest ({@link PgBackRest}): its repository
 * lives on this controller's machine, beside the blob store, and its TLS server takes the
 * primary's WAL from whichever node is the primary. Once a second this part makes sure of the
 * repository's server, of the cluster secrets that tell the nodes where it is, and of a full base
 * backup taken within {@link #baseBackupEvery} (the oldest beyond {@link PgBackRest#FULL_BACKUPS_KEPT}
 * expire). A database is restored as of any moment since the oldest backup's end ({@link #window}),
 * in a scratch server of this machine: {@link #restore}.
 *
 * <p>The repository and its server are this process's user's (root's). A scratch server runs as
 * the machine's {@code postgres} user (Postgres' package makes it) in a directory of its own under
 * {@code /var/tmp}, and reads the repository through its TLS server as a node does.
 */
final class PgArchive {
    private static final Logger log = LoggerFactory.getLogger(PgArchive.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BIN = PostgresDatastore.BIN;
    private static final Duration TOOL_TIMEOUT = Duration.ofHours(6);

    private final Platform platform;
    private final ClusterKeys keys;
    private final Duration baseBackupEvery;
    private final Map<String, String> operatorRepo;
    private volatile Path dir;
    private volatile Process server;
    private int port;
    /** One controller keeps the archive: the one that leads {@code elections/postgres-archive}. */
    private dev.grid.store.LeaderElection election;
    /** The CA bundle the server was started trusting. */
    private String serverBundle;
    private String stanzaMadeFor;
    private String lastProblem;
    /** The window as pgBackRest last told it ({@link #refreshWindow}): read without waiting for a round. */
    private volatile Window window;
    private long windowReadAt;
    private volatile boolean closed;
    /** Started: this Grid keeps an archive ({@link #enabled}). */
    private volatile boolean on;

    boolean on() {
        return on;
    }

    PgArchive(Platform platform, ClusterKeys keys, Duration baseBackupEvery, Map<String, String> operatorRepo) {
        this.platform = platform;
        this.keys = keys;
        this.baseBackupEvery = baseBackupEvery;
        this.operatorRepo = Map.copyOf(operatorRepo);
    }

    /** An operator's repository options ({@link PgBackRest#operatorRepo}) are kept in the file GRID_PG_ARCHIVE_REPO names. */
    static final String REPO_ENV = "GRID_PG_ARCHIVE_REPO";

    /**
     * The repository options of GRID_PG_ARCHIVE_REPO's file (or the system property
     * {@code grid.pg.archive.repo}'s; none: Grid's own directory); a bad file is refused, naming it.
     */
    static Map<String, String> operatorRepo(Map<String, String> env) {
        String file = System.getProperty("grid.pg.archive.repo", env.get(REPO_ENV));
        if (file == null || file.isBlank()) return Map.of();
        try {
            return PgBackRest.operatorRepo(Files.readString(Path.of(file)));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(REPO_ENV + "=" + file + ": cannot read it (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(REPO_ENV + "=" + file + ": " + e.getMessage());
        }
    }

    /** The base backup interval: GRID_PG_BASE_BACKUP_HOURS, 24 by default. */
    static Duration baseBackupEvery(Map<String, String> env) {
        String hours = env.get("GRID_PG_BASE_BACKUP_HOURS");
        return Duration.ofMinutes(Math.round(60 * (hours == null ? 24 : Double.parseDouble(hours))));
    }

    /**
     * Whether this controller keeps an archive: GRID_PG_ARCHIVE (or the system property
     * {@code grid.pg.archive}) {@code off} turns it off, and the nodes then let their WAL go.
     */
    static boolean enabled(Map<String, String> env) {
        String v = System.getProperty("grid.pg.archive", env.getOrDefault("GRID_PG_ARCHIVE", "on"));
        return !"off".equalsIgnoreCase(v.strip());
    }

    /** Runs {@link #tick} every second on a thread of its own, from now until {@link #close}. */
    PgArchive start() {
        on = true;
        election = platform.election("postgres-archive", "controller-" + java.util.UUID.randomUUID(), 5);
        Thread t = new Thread(() -> {
            while (!closed) {
                try {
                    tick();
                    lastProblem = null;
                } catch (Exception e) {
                    String why = e.getMessage() == null ? e.toString() : e.getMessage();
                    if (!why.equals(lastProblem)) log.warn("postgres archive: {}", why);
                    lastProblem = why;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "postgres-archive");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** Stops the loop and the repository's server without waiting for a round (a base backup may be under way). */
    void close() {
        closed = true;
        if (election != null) election.close();
        Process s = server;
        if (s != null) s.destroy();
        // A base backup or a restore under way goes too: none is left holding the stanza's lock for the next start.
        Path d = dir;
        if (d != null) {
            ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("").contains("--config=" + d)).forEach(ProcessHandle::destroy);
        }
    }

    /** One round: the repository's server, the nodes' secrets, the stanza and a due base backup. */
    synchronized void tick() throws Exception {
        if (election != null && !election.isLeader()) {
            // Another controller keeps it (its machine holds the repository from now on): this one's server stops.
            Process s = server;
            if (s != null && s.isAlive()) s.destroy();
            return;
        }
        if (Clusters.spec(platform, keys).isEmpty()) return;
        Map<String, String> secrets = Clusters.secrets(platform, keys);
        if (!secrets.containsKey(Clusters.TLS_CA)) return; // an earlier Grid's cluster: archived once it has certificates
        ensureServer(secrets.get(Clusters.TLS_CA));
        Map<String, NodeReport> reports = Clusters.reports(platform, keys);
        publish(reports);
        List<PgBackRest.Node> nodes = new ArrayList<>();
        boolean primaryServes = false;
        for (NodeReport r : new java.util.TreeMap<>(reports).values()) {
            if (r.toolPort() <= 0 || !r.healthy()) continue;
            nodes.add(new PgBackRest.Node(r.address(), r.toolPort(), r.port()));
            primaryServes |= r.isWritablePrimary();
        }
        writeRepoConf(nodes);
        if (!primaryServes) return;
        String stanza = keys.cluster();
        if (!stanza.equals(stanzaMadeFor)) {
            pgbackrest(Duration.ofMinutes(2), "--stanza=" + stanza, "stanza-create");
            stanzaMadeFor = stanza;
            log.info("postgres archive: the cluster's WAL goes to the {} repository {} (pgBackRest, stanza {})",
                    repository().getOrDefault("repo1-type", "posix"), repoPath(), stanza);
        }
        if (window == null || System.nanoTime() - windowReadAt > 30_000_000_000L) refreshWindow();
        Window w = window;
        if (w == null || w.newestBackup().isBefore(Instant.now().minus(baseBackupEvery))) {
            long t0 = System.nanoTime();
            pgbackrest(TOOL_TIMEOUT, "--stanza=" + stanza, "--type=full", "backup");
            log.info("postgres archive: a full base backup taken in {} s", (System.nanoTime() - t0) / 1_000_000_000);
            refreshWindow();
        }
    }

    private void refreshWindow() throws Exception {
        window = window(pgbackrest(Duration.ofMinutes(1), "--stanza=" + keys.cluster(), "--output=json", "info"));
        windowReadAt = System.nanoTime();
    }

    /** The repository's pgBackRest options: the operator's (GRID_PG_ARCHIVE_REPO), else a directory beside the blob store. */
    private Map<String, String> repository() {
        return PgBackRest.repository(operatorRepo, dir.resolve("repo"));
    }

    private Path repoPath() {
        return Path.of(repository().get("repo1-path"));
    }

    private Path conf() {
        return dir.resolve("pgbackrest.conf");
    }

    /**
     * The repository's files (made once) and its TLS server on a free port of this machine's
     * address (the one it had, if that is free), trusting {@code bundle}, the CAs the cluster's
     * nodes trust: started again with new certificates when that bundle changes (Grid's CA
     * rotated), or when its own certificates near their end.
     */
    private void ensureServer(String bundle) throws Exception {
        if (dir == null) {
            dir = platform.localDir("pgbackrest");
            Files.createDirectories(dir.resolve("spool").resolve("lock"));
            if (PgBackRest.local(repository())) Files.createDirectories(repoPath());
        }
        if (server != null && server.isAlive() && bundle.equals(serverBundle) && fresh(Files.readString(dir.resolve("server.crt")))) {
            platform.registerEndpoint("the Postgres archive's repository", platform.localAddress(), port);
            return;
        }
        if (server != null) server.destroy();
        stopLeftover();
        ClusterCa issuer = Clusters.ca(platform);
        ClusterCa.Issued cert = issuer.issue("grid-pgbackrest-repository", true, List.of(platform.localAddress()), ClusterCa.LEAF_VALIDITY, true);
        ClusterCa.Issued client = issuer.issue(PgBackRest.REPO_CLIENT, false);
        Files.writeString(dir.resolve("ca.crt"), bundle);
        Files.writeString(dir.resolve("server.crt"), cert.certPem());
        Files.writeString(dir.resolve("server.key"), cert.keyPem());
        Files.writeString(dir.resolve("client.crt"), client.certPem());
        Files.writeString(dir.resolve("client.key"), client.keyPem());
        if (server != null) server.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName(platform.localAddress()))) {
            port = s.getLocalPort();
        } catch (java.io.IOException taken) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(platform.localAddress()))) {
                port = s.getLocalPort();
            }
        }
        serverBundle = bundle;
        Files.deleteIfExists(conf());
        writeRepoConf(List.of());
        Command.run(List.of("chmod", "-R", "go-rwx", dir.toString()), Map.of(), Duration.ofSeconds(30));
        server = new ProcessBuilder(List.of("pgbackrest", "--config=" + conf(), "server")).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (java.net.Socket c = new java.net.Socket(platform.localAddress(), port)) {
                break;
            } catch (java.io.IOException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new java.io.IOException("pgBackRest's server did not start on " + platform.localAddress() + ":" + port + ": "
                            + Files.readString(dir.resolve("server.log")).strip());
                }
                Thread.sleep(50);
            }
        }
        Files.writeString(dir.resolve("server.pid"), server.pid() + "\n");
        platform.registerEndpoint("the Postgres archive's repository", platform.localAddress(), port);
        log.info("postgres archive: the repository's server listens on {}:{}", platform.localAddress(), port);
    }

    /** The server a controller that was killed left running (its pid file names it): stopped, so that none holds a port for nothing. */
    private void stopLeftover() {
        try {
            Path pidFile = dir.resolve("server.pid");
            if (!Files.exists(pidFile)) return;
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains(conf().toString())).ifPresent(p -> {
                log.info("postgres archive: stopping the repository's server an earlier start left running (pid {})", pid);
                p.destroy();
            });
            Files.delete(pidFile);
        } catch (java.io.IOException | NumberFormatException e) {
            log.warn("postgres archive: cannot read the pid of an earlier server: {}", e.getMessage());
        }
    }

    private void writeRepoConf(List<PgBackRest.Node> nodes) throws Exception {
        String text = PgBackRest.repoConf(keys.cluster(), repository(), dir, platform.localAddress(), port, nodes);
        if (Files.exists(conf()) && Files.readString(conf()).equals(text)) return;
        // Root's alone: an operator's repository options hold its keys.
        Files.writeString(conf(), "");
        Files.setPosixFilePermissions(conf(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(conf(), text);
    }

    /**
     * Tells the nodes where the repository is, by the cluster's secrets: its address and path, and
     * their certificates (a server one that names every node's address, made again when a node is on
     * an address it does not name, or within {@link ClusterCa#RENEW_BEFORE} of its end).
     */
    private void publish(Map<String, NodeReport> reports) {
        // Every host's address, so that a node moved to another host needs no new certificate.
        TreeSet<String> addresses = new TreeSet<>(platform.hostAddresses());
        for (NodeReport r : reports.values()) addresses.add(r.address());
        ClusterCa ca = Clusters.ca(platform);
        boolean changed = Clusters.updateSecrets(platform, keys, secrets -> {
            Map<String, String> want = new LinkedHashMap<>(secrets);
            want.put(PgBackRest.REPO, platform.localAddress() + ":" + port);
            want.put(PgBackRest.REPO_PATH, repoPath().toString());
            want.put(PgBackRest.REPO_CONFIG, conf().toString());
            want.put(PgBackRest.STANZA, keys.cluster());
            String bundle = secrets.get(Clusters.TLS_CA);
            // Made again only by a CA the nodes trust already (a new CA issues once it is in the bundle).
            boolean canIssue = trusted(ca.certPem(), bundle); // the CA is self-signed: trusted if it is in the bundle
            if (canIssue && (!names(secrets.get(PgBackRest.NODE_CERT), addresses) || !trusted(secrets.get(PgBackRest.NODE_CERT), bundle))) {
                ClusterCa.Issued c = ca.issue("grid-pgbackrest-node", true, List.copyOf(addresses), ClusterCa.LEAF_VALIDITY, true);
                want.put(PgBackRest.NODE_CERT, c.certPem());
                want.put(PgBackRest.NODE_KEY, c.keyPem());
            }
            if (canIssue && (!fresh(secrets.get(PgBackRest.NODE_CLIENT_CERT)) || !trusted(secrets.get(PgBackRest.NODE_CLIENT_CERT), bundle))) {
                ClusterCa.Issued c = ca.issue(PgBackRest.NODE_CLIENT, false);
                want.put(PgBackRest.NODE_CLIENT_CERT, c.certPem());
                want.put(PgBackRest.NODE_CLIENT_KEY, c.keyPem());
            }
            return want;
        });
        if (changed) log.info("postgres archive: the nodes archive to {}:{} (their keepers take it within seconds)", platform.localAddress(), port);
    }

    /** Whether a certificate is there, lasts beyond the renewal margin, and names each of {@code addresses} as a host name. */
    static boolean names(String certPem, java.util.Set<String> addresses) {
        if (!fresh(certPem)) return false;
        try {
            java.util.Set<String> named = new java.util.HashSet<>();
            var sans = ClusterCa.certificate(certPem).getSubjectAlternativeNames();
            if (sans != null) for (List<?> san : sans) if (Integer.valueOf(2).equals(san.get(0))) named.add(String.valueOf(san.get(1)));
            return named.containsAll(addresses);
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    /** Whether {@code certPem}'s issuer is among the CAs of {@code bundlePem}. */
    static boolean trusted(String certPem, String bundlePem) {
        if (certPem == null || bundlePem == null) return false;
        var issuer = ClusterCa.certificate(certPem).getIssuerX500Principal();
        return ClusterCa.certificates(bundlePem).stream().anyMatch(ca -> ca.getSubjectX500Principal().equals(issuer));
    }

    private static boolean fresh(String certPem) {
        return certPem != null && !ClusterCa.renewalDue(certPem, Instant.now());
    }

    /**
     * What can be restored: every moment from the end of the oldest base backup kept until the
     * newest WAL archived, and when the newest backup was taken. Null while there is no backup.
     */
    record Window(Instant since, Instant newestBackup, int backups) {}

    /** The window as last read (at most 30 s ago, or since the newest backup); null before the first backup. */
    Window window() {
        return window;
    }

    /** The window from {@code pgbackrest info --output=json}. */
    static Window window(String infoJson) throws java.io.IOException {
        JsonNode stanzas = JSON.readTree(infoJson);
        for (JsonNode s : stanzas) {
            JsonNode backups = s.path("backup");
            if (!backups.isArray() || backups.isEmpty()) return null;
            long oldest = Long.MAX_VALUE, newest = 0;
            for (JsonNode b : backups) {
                oldest = Math.min(oldest, b.path("timestamp").path("stop").asLong());
                newest = Math.max(newest, b.path("timestamp").path("stop").asLong());
            }
            return new Window(Instant.ofEpochSecond(oldest), Instant.ofEpochSecond(newest), backups.size());
        }
        return null;
    }

    /** Refuses {@code target} (null: now) outside the {@link #window}, naming the window. */
    void check(Instant target) {
        if (!on) throw new IllegalArgumentException("this Grid keeps no Postgres archive (grid pg:info says why): no rollback or fork");
        if (election != null && !election.isLeader()) {
            throw new IllegalStateException("this controller does not keep the Postgres archive: the one that leads elections/postgres-archive does (ask it)");
        }
        Window w = window;
        if (w == null) throw new IllegalArgumentException("the archive has no base backup yet: a rollback or fork is possible once the first one is taken (grid pg:info shows it)");
        Instant now = Instant.now();
        if (target != null && (target.isBefore(w.since()) || target.isAfter(now))) {
            throw new IllegalArgumentException("--to " + target + " is outside the window that is kept: from " + w.since() + " until now (" + now + ")");
        }
    }

    /**
     * The database {@code database} as it was at {@code target} (null: now), as a
     * {@code pg_dump -Fc} file in {@code out}: the primary's latest WAL is archived first
     * ({@code pgbackrest check} switches to a new segment and waits for it), the cluster is restored
     * to that moment in a scratch server of this machine ({@code --db-include}: the other databases'
     * files are left empty), promoted, dumped, and removed. A target outside {@link #window} is
     * refused with the window. {@code progress} hears of each step.
     */
    synchronized void restore(String database, Instant target, Path out, Consumer<String> progress) throws Exception {
        check(target);
        String stanza = keys.cluster();
        progress.accept("archiving the primary's newest WAL");
        pgbackrest(Duration.ofMinutes(3), "--stanza=" + stanza, "check");
        Map<String, String> secrets = Clusters.secrets(platform, keys);
        Path scratch = Path.of("/var/tmp", "grid-pg-restore-" + java.util.UUID.randomUUID());
        Path pgdata = scratch.resolve("pg");
        int scratchPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            scratchPort = s.getLocalPort();
        }
        try {
            Files.createDirectories(pgdata);
            Files.createDirectories(scratch.resolve("spool"));
            Files.writeString(scratch.resolve("ca.crt"), secrets.get(Clusters.TLS_CA));
            Files.writeString(scratch.resolve("client.crt"), secrets.get(PgBackRest.NODE_CLIENT_CERT));
            Files.writeString(scratch.resolve("client.key"), secrets.get(PgBackRest.NODE_CLIENT_KEY));
            Path restoreConf = scratch.resolve("pgbackrest.conf");
            Files.writeString(restoreConf, PgBackRest.scratchConf(stanza, platform.localAddress(), port, repoPath(),
                    conf(), scratch, pgdata, scratchPort));
            Command.run(List.of("chmod", "-R", "go-rwx", scratch.toString()), Map.of(), Duration.ofSeconds(30));
            Command.run(List.of("chown", "-R", "postgres:postgres", scratch.toString()), Map.of(), Duration.ofSeconds(30));
            progress.accept("restoring " + database + (target == null ? " as of now" : " as of " + target) + " in a scratch server");
            List<String> args = new ArrayList<>(List.of("pgbackrest", "--config=" + restoreConf, "--stanza=" + stanza));
            // To a moment, then promoted; with none, to the end of the archive, where Postgres promotes itself.
            if (target != null) args.addAll(List.of("--type=time", "--target=" + target.toString().replace('T', ' ').replace("Z", "+00"), "--target-action=promote"));
            args.add("restore");
            List<String> only = new ArrayList<>(args);
            only.add(only.size() - 1, "--db-include=" + database);
            try {
                Command.run(asPostgres(only), Map.of(), TOOL_TIMEOUT);
            } catch (java.io.IOException e) {
                // A database made after the backup the restore starts from is not in its manifest: the whole cluster, then.
                if (e.getMessage() == null || !e.getMessage().contains("[080]")) throw e;
                Command.run(List.of("find", pgdata.toString(), "-mindepth", "1", "-delete"), Map.of(), Duration.ofMinutes(10));
                Command.run(asPostgres(args), Map.of(), TOOL_TIMEOUT);
            }
            Command.run(asPostgres(List.of(BIN + "pg_ctl", "-D", pgdata.toString(), "-w", "-t", "3600", "-l", scratch.resolve("postgres.log").toString(), "-o",
                    "-c port=" + scratchPort + " -c listen_addresses='' -c unix_socket_directories='" + scratch + "' -c ssl=off"
                            + " -c archive_mode=off -c synchronous_standby_names='' -c hot_standby=on", "start")), Map.of(), TOOL_TIMEOUT);
            progress.accept("replaying the archived WAL");
            long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
            while (!"f".equals(scratchSql(scratch, scratchPort, "SELECT pg_is_in_recovery()"))) {
                if (System.nanoTime() > deadline) throw new java.io.IOException("the scratch server did not finish replaying the archive");
                Thread.sleep(200);
            }
            progress.accept("dumping " + database);
            Path dumped = scratch.resolve("out.dump");
            Command.run(asPostgres(List.of(BIN + "pg_dump", "--host=" + scratch, "--port=" + scratchPort, "--username=postgres",
                    "--format=custom", "--no-owner", "--file=" + dumped, database)), Map.of(), TOOL_TIMEOUT);
            Files.copy(dumped, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            try {
                Command.run(asPostgres(List.of(BIN + "pg_ctl", "-D", pgdata.toString(), "-m", "immediate", "stop")), Map.of(), Duration.ofMinutes(1));
            } catch (Exception notRunning) {
                // never started, or gone
            }
            Command.run(List.of("rm", "-rf", scratch.toString()), Map.of(), Duration.ofMinutes(10));
        }
    }

    private static String scratchSql(Path scratch, int port, String sql) {
        try {
            return Command.run(asPostgres(List.of(BIN + "psql", "--host=" + scratch, "--port=" + port, "--username=postgres", "-Atqw", "-c", sql)),
                    Map.of(), Duration.ofSeconds(30)).strip();
        } catch (Exception notYet) {
            return "";
        }
    }

    private String pgbackrest(Duration timeout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("pgbackrest", "--config=" + conf()));
        cmd.addAll(List.of(args));
        return Command.run(cmd, Map.of(), timeout);
    }

    private static List<String> asPostgres(List<String> command) {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        c.addAll(command);
        return c;
    }
}
