package dev.grid.appliance.postgres;

import dev.grid.appliance.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.appliance.Command;
import dev.grid.appliance.Datastore;
import dev.grid.appliance.NodeConfig;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.ServerProcess;
import dev.grid.appliance.StagedRebuild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;

/**
 * Postgres 15 as a Grid data node, driven by the keeper inside the node's container:
 * initdb for a new primary, pg_basebackup for a new replica, streaming replication with
 * one synchronous standby, {@code pg_ctl promote}, and pg_rewind (or a fresh base backup)
 * for a node whose history diverged — a deposed primary, or a replica that got ahead of
 * the promoted sync. Everything Grid sets lives in {@code grid.conf}, rewritten whole.
 */
public final class PostgresDatastore implements Datastore {
    static final String BIN = "/usr/lib/postgresql/15/bin/";
    /** Where a node's data is in its container: the repository's base backups read it there. */
    static final String PGDATA = dev.grid.appliance.Clusters.DATA_DIR + "/pg";
    /** Until the keeper names a sync, writes wait for a standby that does not exist: none is acknowledged unreplicated. */
    static final String NO_SYNC = "grid_no_sync_replica";
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeConfig node;
    private Path pgdata;
    /** The node's certificates ({@link PgAccess}), outside pgdata: a base backup does not copy them. */
    private Path tlsDir;
    private boolean tls;
    private final ServerProcess postgres = new ServerProcess("postgres");
    /** pgBackRest's TLS server, which base backups read this node's files through ({@link PgBackRest}). */
    private final ServerProcess backrest = new ServerProcess("pgbackrest server");
    private Path backrestDir;
    private int backrestPort;
    private long backrestTriedAt = System.nanoTime() - 60_000_000_000L;
    private Peer upstream;
    private String syncNames = "FIRST 1 (" + NO_SYNC + ")";
    /** Rewound since it last streamed: if it still does not stream, rebuild instead. */
    private boolean rewound;

    /**
     * As root: chown the volume to postgres, read its files (DAC_OVERRIDE), run postgres and its
     * tools as postgres (runuser: SETUID, SETGID), and signal the server (KILL).
     */
    @Override
    public java.util.Set<String> capabilities() {
        return java.util.Set.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL");
    }

    @Override
    public void configure(NodeConfig node) throws Exception {
        this.node = node;
        this.pgdata = node.dataDir().resolve("pg");
        run(List.of("chown", "postgres:postgres", node.dataDir().toString()));
        new StagedRebuild(pgdata).recover(); // a copy this node's keeper was making when it stopped
        tls = PgAccess.tls(node.secrets());
        tlsDir = node.dataDir().resolve("tls");
        if (tls) writeTlsFiles();
        backrestDir = node.dataDir().resolve("backrest");
        try {
            archive();
        } catch (Exception e) {
            // The node serves without its backup agent; observe() tries again every round.
            System.out.println("keeper: cannot start pgBackRest's server yet: " + e.getMessage());
        }
    }

    /**
     * With an archive in the cluster's secrets: pgBackRest's files for this node, and its TLS
     * server on a free port of the node's address (reported as the node's tool port). The server
     * starts again on another port if it is not running (a port taken meanwhile). Without an
     * archive, nothing: each WAL segment is let go ({@link PgBackRest#archiveCommand}).
     */
    private void archive() throws Exception {
        if (!archives()) return;
        Files.createDirectories(backrestDir.resolve("spool"));
        if (!backrest.running()) {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(node.address()))) {
                backrestPort = s.getLocalPort();
            }
        }
        Map<String, String> files = new HashMap<>(PgBackRest.nodeFiles(node.secrets()));
        files.put("pgbackrest.conf", PgBackRest.nodeConf(node.secrets(), backrestDir, node.address(), backrestPort, pgdata, node.port()));
        writePrivate(backrestDir, files);
        if (backrest.running()) return;
        int port = backrestPort;
        backrest.start(new ProcessBuilder("runuser", "-u", "postgres", "--", "pgbackrest", "--config=" + backrestDir.resolve("pgbackrest.conf"), "server")
                        .directory(new java.io.File("/tmp")),
                () -> {
                    try (java.net.Socket c = new java.net.Socket(node.address(), port)) {
                        return true;
                    }
                }, Duration.ofSeconds(20));
        System.out.println("keeper: pgBackRest's server for base backups on " + node.address() + ":" + port);
    }

    /** pgBackRest in this node's image: a cluster made before Grid's archive runs an image without it. */
    private static final boolean PGBACKREST = Files.isExecutable(Path.of("/usr/bin/pgbackrest"));
    private boolean saidNoPgBackRest;

    /**
     * Whether this node archives: the cluster has an archive and its image has pgBackRest. Without
     * it the node lets each WAL segment go (an archive_command that failed would keep them all).
     */
    private boolean archives() {
        if (!PgBackRest.configured(node.secrets())) return false;
        if (!PGBACKREST && !saidNoPgBackRest) {
            saidNoPgBackRest = true;
            System.out.println("keeper: this node's image has no pgBackRest (the cluster predates Grid's archive): its WAL is not archived");
        }
        return PGBACKREST;
    }

    @Override
    public int toolPort() {
        return backrest.running() ? backrestPort : 0;
    }

    /** The CA, the server's pair and the users' pairs, readable by postgres alone (libpq refuses a key others may read). */
    private void writeTlsFiles() throws Exception {
        writePrivate(tlsDir, PgAccess.files(node.secrets()));
    }

    /** Files (name to content) in {@code dir}, the directory and all in it postgres's alone. */
    private static void writePrivate(Path dir, Map<String, String> files) throws Exception {
        Files.createDirectories(dir);
        for (var f : files.entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
        run(List.of("chmod", "-R", "go-rwx", dir.toString()));
        run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
    }

    /** Re-issued certificates: into the files, and a reload makes Postgres take them (new connections use them). */
    @Override
    public void reconfigure(NodeConfig node) throws Exception {
        boolean archived = PgBackRest.configured(this.node.secrets());
        boolean archiveChanged = !PgBackRest.nodeSecrets(this.node.secrets()).equals(PgBackRest.nodeSecrets(node.secrets()));
        this.node = node;
        if (archiveChanged && PgBackRest.configured(node.secrets())) {
            // The archive's place or certificates changed: pgBackRest's server takes new files when it starts again.
            backrest.stop(p -> p.destroy(), Duration.ofSeconds(5));
            try {
                archive();
            } catch (Exception e) {
                System.out.println("keeper: cannot start pgBackRest's server yet: " + e.getMessage()); // observe() tries again
            }
            if (initialised()) {
                writeConf();
                if (postgres.running()) reload();
            }
        } else if (archived && !PgBackRest.configured(node.secrets())) {
            backrest.stop(p -> p.destroy(), Duration.ofSeconds(5));
        }
        if (!tls && PgAccess.tls(node.secrets())) {
            // A cluster an earlier Grid made got certificates: TLS, certificate sign-ins and today's
            // pg_hba, live (ssl, pg_hba and primary_conninfo all take a reload). Every node switches
            // within a round; replication reconnects meanwhile, and a commit waits for it, never lost.
            tls = true;
            writeTlsFiles();
            if (initialised()) {
                writeConf();
                if (postgres.running()) reload();
            }
            return;
        }
        if (!tls) return;
        writeTlsFiles();
        if (postgres.running()) reload();
    }

    private boolean initialised() {
        return Files.exists(pgdata.resolve("grid-initialised"));
    }

    @Override
    public void becomePrimary() throws Exception {
        if (!initialised()) {
            initPrimary();
            return;
        }
        upstream = null;
        boolean standby = Files.exists(pgdata.resolve("standby.signal"));
        writeConf();
        if (!running()) start();
        if (standby) {
            asPostgres(BIN + "pg_ctl", "promote", "-w", "-t", "60", "-D", pgdata.toString());
        } else {
            reload();
        }
    }

    private void initPrimary() throws Exception {
        run(List.of("rm", "-rf", pgdata.toString()));
        asPostgres(BIN + "initdb", "-D", pgdata.toString(), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--data-checksums", "-E", "UTF8", "--locale=C");
        Files.writeString(pgdata.resolve("postgresql.conf"), "\ninclude_if_exists = 'grid.conf'\n", java.nio.file.StandardOpenOption.APPEND);
        writeConf();
        start();
        // The roles exist before any standby is named, so they need no acknowledgement.
        sql("SET synchronous_commit = local; "
                + "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD " + literal(node.secret("REPLICATION_PASSWORD")) + "; "
                + "CREATE ROLE grid WITH SUPERUSER LOGIN PASSWORD " + literal(node.secret("SUPERUSER_PASSWORD")) + "; "
                + "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC; REVOKE CONNECT ON DATABASE template1 FROM PUBLIC; "
                + "CHECKPOINT;");
        Files.writeString(pgdata.resolve("grid-initialised"), "");
    }

    @Override
    public void follow(Peer peer, boolean stalled) throws Exception {
        if (!initialised()) {
            stop();
            baseBackup(peer);
        } else if (stalled && rewound) {
            // Rewinding did not make it stream (pg_rewind can misjudge a standby that replayed
            // past the fork point): start again from a copy of the primary.
            stop();
            baseBackup(peer);
        } else if (!Files.exists(pgdata.resolve("standby.signal")) || stalled) {
            // A deposed primary, or a replica whose history diverged: rewind to the new primary.
            stop();
            rewind(peer);
            rewound = true;
        } else {
            upstream = peer;
            writeConf();
            if (running()) reload();
            else start();
            return;
        }
        upstream = peer;
        Files.writeString(pgdata.resolve("standby.signal"), "");
        writeConf();
        start();
    }

    /**
     * A fresh copy of {@code peer}, made beside the node's data and put in its place only once
     * whole ({@link StagedRebuild}): a copy that fails leaves the node with its data, never empty.
     */
    private void baseBackup(Peer peer) throws Exception {
        StagedRebuild rebuild = new StagedRebuild(pgdata);
        Path copy = rebuild.begin();
        System.out.println("keeper: copying " + peer.id() + " afresh, beside this node's data, which stays until the copy is whole");
        run(List.of("runuser", "-u", "postgres", "--", BIN + "pg_basebackup", "-h", peer.address(), "-p", String.valueOf(peer.port()),
                "-U", PgAccess.REPLICATION, "-w", "-D", copy.toString(), "-X", "stream", "-c", "fast"), signIn(PgAccess.REPLICATION, "REPLICATION_PASSWORD"));
        rebuild.commit();
    }

    private void rewind(Peer peer) throws Exception {
        String source = "host=" + peer.address() + " port=" + peer.port() + " user=grid dbname=postgres";
        Files.deleteIfExists(pgdata.resolve("postmaster.pid"));
        try {
            String out = run(List.of("runuser", "-u", "postgres", "--", BIN + "pg_rewind", "-D", pgdata.toString(), "--source-server=" + source),
                    signIn(PgAccess.SUPERUSER, "SUPERUSER_PASSWORD"));
            System.out.println("keeper: pg_rewind from " + peer.id() + ": " + out.lines().reduce((a, b) -> b).orElse("done"));
        } catch (IOException e) {
            System.out.println("keeper: pg_rewind failed (" + e.getMessage().lines().reduce((a, b) -> b).orElse("") + "): taking a fresh base backup");
            baseBackup(peer);
        }
    }

    @Override
    public void requireSync(Peer replica) throws Exception {
        syncNames = "FIRST 1 (" + (replica == null ? NO_SYNC : "\"" + replica.id() + "\"") + ")";
        writeConf();
        reload();
    }

    @Override
    public Observation observe() {
        if (archives() && !backrest.running() && System.nanoTime() - backrestTriedAt > 30_000_000_000L) {
            // Its server exited: again, on a port free now, at most every 30 s (a start waits up to 20 s, and this round is the failover's).
            backrestTriedAt = System.nanoTime();
            try {
                archive();
            } catch (Exception e) {
                System.out.println("keeper: cannot start pgBackRest's server: " + e.getMessage());
            }
        }
        if (!postgres.running()) return Observation.stopped(postgres.notRunning());
        try {
            JsonNode o = JSON.readTree(sql("""
                    SELECT json_build_object(
                      'recovery', pg_is_in_recovery(),
                      'position', (CASE WHEN pg_is_in_recovery()
                                   THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
                                   ELSE pg_current_wal_lsn() END) - '0/0'::pg_lsn,
                      'sender', (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'),
                      'replicas', (SELECT coalesce(json_agg(json_build_object('name', application_name, 'state', sync_state,
                                   'flush', flush_lsn - '0/0'::pg_lsn)), '[]') FROM pg_stat_replication))"""));
            String position = String.valueOf(o.path("position").asLong(0));
            if (!o.path("recovery").asBoolean()) {
                String active = null;
                String durable = null;
                for (JsonNode r : o.path("replicas")) {
                    if (!"sync".equals(r.path("state").asText())) continue;
                    active = r.path("name").asText();
                    durable = String.valueOf(r.path("flush").asLong(0));
                }
                return new Observation(Role.PRIMARY, position, null, active, durable, "primary");
            }
            String sender = o.path("sender").isNull() ? null : o.path("sender").asText();
            String from = upstream != null && (upstream.address() + ":" + upstream.port()).equals(sender) ? upstream.id() : null;
            if (from != null) rewound = false;
            return new Observation(Role.REPLICA, position, from, null, null,
                    from == null ? "replica, not streaming" : "replica of " + from);
        } catch (Exception e) {
            return Observation.stopped("postgres does not answer: " + e.getMessage());
        }
    }

    @Override
    public void stop() {
        postgres.stop(p -> asPostgres(BIN + "pg_ctl", "stop", "-D", pgdata.toString(), "-m", "fast", "-w", "-t", "30"), Duration.ofSeconds(30));
    }

    private boolean running() {
        return postgres.running();
    }

    private void start() throws Exception {
        if (running()) return;
        // Only this keeper starts postgres in this container, so a pid file is a dead node's.
        Files.deleteIfExists(pgdata.resolve("postmaster.pid"));
        postgres.start(new ProcessBuilder("runuser", "-u", "postgres", "--", BIN + "postgres", "-D", pgdata.toString())
                        .directory(new java.io.File("/tmp")),
                () -> new ProcessBuilder(BIN + "pg_isready", "-q", "-h", "/tmp", "-p", String.valueOf(node.port()), "-U", "postgres")
                        .start().waitFor() == 0,
                Duration.ofMinutes(2));
    }

    private void reload() throws Exception {
        asPostgres(BIN + "pg_ctl", "reload", "-D", pgdata.toString());
    }

    private void writeConf() throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "# Written by the Grid keeper; changes here are overwritten.",
                "listen_addresses = " + literal(node.address()),
                "port = " + node.port(),
                "unix_socket_directories = '/tmp'",
                "wal_level = replica",
                "max_wal_senders = 10",
                "wal_keep_size = '512MB'",
                "wal_log_hints = on",
                "hot_standby = on",
                "shared_buffers = '32MB'",
                "max_connections = " + PostgresProvider.MAX_CONNECTIONS,
                "password_encryption = 'scram-sha-256'",
                "synchronous_commit = on",
                "synchronous_standby_names = " + literal(syncNames),
                // A replica tells its primary what it has flushed at least every second, not every 10 s: a
                // replica made the sync while writes wait (the old sync was lost) releases them at once, even
                // when no new WAL comes to prompt a reply (HostFailureTwoHostsTest measured a 10 s stall).
                "wal_receiver_status_interval = '1s'",
                "log_line_prefix = '%m " + node.id() + " '",
                // Only a primary archives (a standby's archive_mode=on does not): its WAL goes to the cluster's
                // archive within archive_timeout, which bounds what the loss of every node loses (docs/appliances.md).
                "archive_mode = on",
                "archive_command = " + literal(archives() ? PgBackRest.archiveCommand(backrestDir.resolve("pgbackrest.conf"), node.secrets()) : "/bin/true"),
                "archive_timeout = " + PgBackRest.ARCHIVE_TIMEOUT_SECONDS));
        if (tls) {
            lines.add("ssl = on");
            lines.add("ssl_cert_file = " + literal(tlsDir.resolve("server.crt").toString()));
            lines.add("ssl_key_file = " + literal(tlsDir.resolve("server.key").toString()));
            lines.add("ssl_ca_file = " + literal(tlsDir.resolve("ca.crt").toString()));
        }
        if (upstream != null) {
            lines.add("primary_conninfo = " + literal("host=" + upstream.address() + " port=" + upstream.port()
                    + " user=" + PgAccess.REPLICATION + " application_name=" + node.id() + " password=" + node.secret("REPLICATION_PASSWORD")
                    + (tls ? PgAccess.conninfo(tlsDir, PgAccess.REPLICATION) : "")));
        }
        Path conf = pgdata.resolve("grid.conf");
        Files.writeString(conf, String.join("\n", lines) + "\n");
        // Rewritten with the rest, so that a node copied from a primary an earlier Grid made gets today's rules.
        Path hba = pgdata.resolve("pg_hba.conf");
        Files.writeString(hba, PgAccess.hba(tls));
        run(List.of("chown", "postgres:postgres", conf.toString(), hba.toString()));
    }

    /** Runs SQL as the postgres superuser over the container's socket; returns the output. */
    private String sql(String sql) throws Exception {
        // psql runs as root (the socket trusts the role named, not the OS user): without runuser's
        // PAM session each call costs 14 ms rather than 22 ms, and observe() runs every 300 ms.
        return run(List.of(BIN + "psql", "-h", "/tmp", "-p", String.valueOf(node.port()), "-U", "postgres", "-d", "postgres",
                "-Atqw", "-v", "ON_ERROR_STOP=1", "-c", sql));
    }

    private static String asPostgres(String... command) throws Exception {
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        c.addAll(List.of(command));
        return run(c);
    }

    private static String run(List<String> command) throws Exception {
        return run(command, Map.of());
    }

    /** Runs a command (see {@link Command#run}) with {@code env} added: a password goes in PGPASSWORD. */
    private static String run(List<String> command, Map<String, String> env) throws Exception {
        return Command.run(command, env, Duration.ofMinutes(5));
    }

    /** libpq's environment for signing in to another node as {@code user}: its password and, on a cluster with certificates, its certificate. */
    private Map<String, String> signIn(String user, String passwordSecret) {
        Map<String, String> env = new HashMap<>(Map.of("PGPASSWORD", node.secret(passwordSecret)));
        if (tls) env.putAll(PgAccess.libpqEnv(tlsDir, user));
        return env;
    }

    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
