package dev.grid.appliance.mariadb;

import dev.grid.appliance.Role;
import dev.grid.appliance.Command;
import dev.grid.appliance.Datastore;
import dev.grid.appliance.NodeConfig;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Positions;
import dev.grid.appliance.ServerProcess;
import dev.grid.appliance.StagedRebuild;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One MariaDB 10.11 node: GTID replication in the cluster's one domain, and semi-synchronous
 * replication waiting {@code AFTER_SYNC} with no timeout, so that a primary acknowledges a commit
 * only once a replica has it and never falls back to acknowledging alone. A primary counts the ack
 * of any semi-synchronous replica attached to it, so the asyncs stream from the sync ({@link
 * #cascades}) and the primary reports the sync active only while it is the one replica attached.
 *
 * <p>A node is copied whole from its upstream with {@code mariadb-dump --gtid} into a scratch server
 * beside its data ({@link StagedRebuild}); a deposed primary whose history diverged (it wrote a
 * transaction no replica acknowledged) is refused by its new primary in GTID strict mode and copied
 * afresh the same way.
 */
public final class MariaDbDatastore implements Datastore {
    static final String KEEPER = "grid_keeper";
    static final String REPLICATOR = "grid_replicator";

    private NodeConfig node;
    private Path data;
    private final ServerProcess server = new ServerProcess("mariadbd");
    private Peer upstream;
    private Peer sync;

    @Override
    public java.util.Set<String> capabilities() {
        // mariadbd --user=mysql: its own files, and its own user.
        return java.util.Set.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL");
    }

    @Override
    public boolean cascades() {
        return true;
    }

    @Override
    public void configure(NodeConfig node) throws Exception {
        this.node = node;
        this.data = node.dataDir().resolve("mariadb");
        run("chown", "mysql:mysql", node.dataDir().toString());
        new StagedRebuild(data).recover();
    }

    private boolean initialised() {
        return Files.exists(data.resolve("grid-initialised"));
    }

    @Override
    public void becomePrimary() throws Exception {
        if (!initialised()) {
            install(data);
            start();
            sql("CREATE USER " + KEEPER + "@'%' IDENTIFIED BY " + literal(node.secret("KEEPER_PASSWORD")) + "; "
                    + "GRANT ALL ON *.* TO " + KEEPER + "@'%' WITH GRANT OPTION; "
                    + "CREATE USER " + REPLICATOR + "@'%' IDENTIFIED BY " + literal(node.secret("REPLICATION_PASSWORD")) + "; "
                    + "GRANT REPLICATION SLAVE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO " + REPLICATOR + "@'%'");
            Files.writeString(data.resolve("grid-initialised"), "");
        }
        start();
        Map<String, String> replication = replication();
        if (!replication.isEmpty()) {
            // Every transaction it received, which the old primary may have acknowledged, is applied before it takes writes.
            sql("STOP SLAVE IO_THREAD");
            String received = replication().getOrDefault("Gtid_IO_Pos", "");
            if (!received.isEmpty() && !"0".equals(sql("SELECT MASTER_GTID_WAIT(" + literal(received) + ", 120)"))) {
                throw new IOException("the relay log up to " + received + " is not applied after 120 s: not taking writes yet");
            }
            sql("STOP SLAVE; RESET SLAVE ALL");
        }
        upstream = null;
        sql("SET GLOBAL rpl_semi_sync_master_enabled = ON; SET GLOBAL read_only = OFF");
    }

    @Override
    public void follow(Peer peer, boolean stalled) throws Exception {
        if (!initialised()) copy(peer);
        start();
        if (stalled && diverged(replication())) {
            copy(peer);
            start();
        }
        sql("SET GLOBAL read_only = ON; SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        if (peer.equals(upstream) && !stalled && "Yes".equals(replication().get("Slave_IO_Running"))) return;
        // current_pos: a deposed primary asks for what its own binlog holds too, and strict mode refuses it if that diverged.
        sql("STOP SLAVE; CHANGE MASTER TO MASTER_HOST = " + literal(peer.address()) + ", MASTER_PORT = " + peer.port()
                + ", MASTER_USER = '" + REPLICATOR + "', MASTER_PASSWORD = " + literal(node.secret("REPLICATION_PASSWORD"))
                + ", MASTER_USE_GTID = current_pos, MASTER_CONNECT_RETRY = 1; START SLAVE");
        upstream = peer;
    }

    /**
     * Whether replication stopped because this node's history is not its upstream's: its upstream
     * has no binlog for the GTIDs it asks from (1236), or a transaction would break GTID order (an
     * applier error). Then only a fresh copy makes it a replica again.
     */
    static boolean diverged(Map<String, String> status) {
        return "1236".equals(status.get("Last_IO_Errno")) || !"0".equals(status.getOrDefault("Last_SQL_Errno", "0"));
    }

    /** A fresh copy of {@code peer}, loaded into a scratch server beside the node's data and put in its place only once whole. */
    private void copy(Peer peer) throws Exception {
        stop();
        StagedRebuild rebuild = new StagedRebuild(data);
        Path copy = rebuild.begin();
        System.out.println("keeper: copying " + peer.id() + " afresh, beside this node's data, which stays until the copy is whole");
        install(copy);
        Path dump = node.dataDir().resolve("copy.sql");
        ServerProcess scratch = new ServerProcess("mariadbd (copy)");
        Path socket = Path.of("/tmp/grid-mariadb-" + node.port() + "-copy.sock");
        try {
            Command.run(List.of("mariadb-dump", "-h", peer.address(), "-P", String.valueOf(peer.port()), "-u", KEEPER, "--result-file=" + dump,
                    "--all-databases", "--single-transaction", "--gtid", "--master-data=1", "--routines", "--events", "--triggers"),
                    Map.of("MYSQL_PWD", node.secret("KEEPER_PASSWORD")), Duration.ofHours(1));
            scratch.start(new ProcessBuilder("mariadbd", "--defaults-file=" + writeConf(copy, socket, true), "--user=mysql").directory(new java.io.File("/tmp")),
                    () -> ping(socket), Duration.ofMinutes(2));
            // Not into its own binlog: the copy's GTID position is its source's, which the dump sets.
            Command.run(List.of("sh", "-c", "{ echo 'SET sql_log_bin = 0;'; cat \"$0\"; } | mariadb -S \"$1\" -u root", dump.toString(), socket.toString()),
                    Map.of(), Duration.ofHours(1));
            scratch.stop(x -> client(socket, "SHUTDOWN"), Duration.ofMinutes(2));
            Files.writeString(copy.resolve("grid-initialised"), "");
            rebuild.commit();
        } finally {
            scratch.stop(Process::destroy, Duration.ofSeconds(30));
            Files.deleteIfExists(dump);
        }
    }

    @Override
    public void requireSync(Peer replica) throws Exception {
        // Writes wait for a semi-synchronous replica whatever happens (no timeout): with none named, for none that can attach.
        sync = replica;
        sql("SET GLOBAL rpl_semi_sync_master_enabled = ON");
    }

    @Override
    public Observation observe() {
        if (!running()) return Observation.stopped(server.notRunning());
        try {
            Map<String, String> replication = replication();
            if (!replication.isEmpty() || "1".equals(sql("SELECT @@read_only"))) {
                boolean streams = upstream != null && "Yes".equals(replication.get("Slave_IO_Running"))
                        && upstream.address().equals(replication.get("Master_Host")) && String.valueOf(upstream.port()).equals(replication.get("Master_Port"));
                String from = streams ? upstream.id() : null;
                String received = replication.getOrDefault("Gtid_IO_Pos", "");
                return new Observation(Role.REPLICA, gtid(received.isEmpty() ? sql("SELECT @@gtid_current_pos") : received), from,
                        null, null, from == null ? "replica, not streaming" + error(replication) : "replica of " + from);
            }
            String position = gtid(sql("SELECT @@gtid_binlog_pos"));
            List<String> attached = new ArrayList<>();
            for (String line : sql("SHOW SLAVE HOSTS").lines().toList()) {
                String[] f = line.split("\t");
                if (f.length >= 3) attached.add(f[1] + ":" + f[2]);
            }
            String syncAt = sync == null || sync.address() == null ? null : sync.address() + ":" + sync.port();
            boolean active = syncAt != null && attached.equals(List.of(syncAt))
                    && "1".equals(sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'"));
            return new Observation(Role.PRIMARY, position, null, active ? sync.id() : null, active ? received(sync) : null,
                    "primary, " + attached.size() + " replica(s) attached" + (active ? ", the sync alone" : ""));
        } catch (Exception e) {
            return Observation.stopped("mariadb does not answer: " + e.getMessage());
        }
    }

    /** The GTID up to which {@code replica} has received (asked of it over the network); null if it does not say. */
    private String received(Peer replica) {
        try {
            Map<String, String> status = fields(mariadb(List.of("-h", replica.address(), "-P", String.valueOf(replica.port()), "-u", KEEPER,
                    "--connect-timeout=2", "-E"), node.secret("KEEPER_PASSWORD"), "SHOW SLAVE STATUS", Duration.ofSeconds(5)));
            return gtid(status.getOrDefault("Gtid_IO_Pos", ""));
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * MariaDB's positions ({@link #gtid}): ordered by the sequence number, which grows by one with
     * every transaction whichever server wrote it (strict mode, one domain); lag counts transactions.
     */
    static final Positions POSITIONS = Positions.by("transactions", MariaDbDatastore::sequence);

    @Override
    public Positions positions() {
        return POSITIONS;
    }

    /** The GTID of the cluster's one replication domain (0) in a GTID list; {@code 0-0-0} for none yet. */
    static String gtid(String gtids) {
        for (String gtid : gtids.strip().split(",")) {
            if (gtid.strip().startsWith("0-")) return gtid.strip();
        }
        return "0-0-0";
    }

    /** A domain-0 GTID's sequence number (a bare number: an earlier keeper's report of one). */
    static long sequence(String gtid) {
        if (gtid.matches("\\d+")) return Long.parseLong(gtid);
        String[] f = gtid.split("-");
        if (f.length != 3 || !f[0].equals("0")) throw new IllegalArgumentException("not a GTID of domain 0: " + gtid);
        return Long.parseLong(f[2]);
    }

    /** This node's replication status (SHOW SLAVE STATUS) by field; empty when it replicates from nothing. */
    private Map<String, String> replication() throws Exception {
        return fields(mariadb(List.of("-S", socket().toString(), "-u", "root", "-E"), null, "SHOW SLAVE STATUS", Duration.ofMinutes(1)));
    }

    /** Vertical output (mariadb -E) as a map of its fields. */
    static Map<String, String> fields(String vertical) {
        Map<String, String> out = new HashMap<>();
        for (String line : vertical.lines().toList()) {
            int colon = line.indexOf(": ");
            if (colon > 0 && !line.startsWith("*")) out.put(line.substring(0, colon).strip(), line.substring(colon + 2).strip());
        }
        return out;
    }

    private static String error(Map<String, String> status) {
        String e = status.getOrDefault("Last_IO_Error", "");
        if (e.isEmpty()) e = status.getOrDefault("Last_SQL_Error", "");
        return e.isEmpty() ? "" : ": " + e;
    }

    @Override
    public void stop() {
        server.stop(p -> sql("SHUTDOWN"), Duration.ofSeconds(60));
    }

    private boolean running() {
        return server.running();
    }

    private void start() throws Exception {
        if (running()) return;
        Path conf = writeConf(data, socket(), false);
        server.start(new ProcessBuilder("mariadbd", "--defaults-file=" + conf, "--user=mysql").directory(new java.io.File("/tmp")),
                () -> ping(socket()), Duration.ofMinutes(2));
    }

    /** A new, empty data directory at {@code dir}, with root signing in by the socket alone. */
    private void install(Path dir) throws Exception {
        run("rm", "-rf", dir.toString());
        run("mariadb-install-db", "--defaults-file=" + writeConf(dir, socket(), true), "--user=mysql",
                "--auth-root-authentication-method=socket", "--skip-test-db");
    }

    private Path socket() {
        return Path.of("/tmp/grid-mariadb-" + node.port() + ".sock");
    }

    /**
     * The server's options for data directory {@code dir}: this node's address and port (none for a
     * scratch server, which loads a copy on its socket alone), the binlog and GTID rules of the
     * cluster, and semi-synchronous replication that never gives up waiting.
     */
    private Path writeConf(Path dir, Path socket, boolean scratch) throws IOException {
        List<String> lines = new ArrayList<>(List.of("# Written by the Grid keeper; changes here are overwritten.", "[mariadbd]",
                "datadir = " + dir, "socket = " + socket, "pid_file = " + socket + ".pid",
                "server_id = " + serverId(node.id()), "gtid_domain_id = 0", "gtid_strict_mode = ON", "log_bin = binlog", "log_slave_updates = ON",
                "relay_log = relay-bin", "binlog_format = ROW", "sync_binlog = 1", "innodb_flush_log_at_trx_commit = 1", "skip_name_resolve = ON", "read_only = ON",
                "innodb_buffer_pool_size = 64M", "rpl_semi_sync_slave_enabled = ON", "rpl_semi_sync_master_wait_point = AFTER_SYNC",
                "rpl_semi_sync_master_timeout = 18446744073709551615", "rpl_semi_sync_master_wait_no_slave = ON"));
        if (scratch) lines.addAll(List.of("skip_networking = ON", "skip_log_bin"));
        else lines.addAll(List.of("bind_address = " + node.address(), "port = " + node.port(), "report_host = " + node.address(), "report_port = " + node.port()));
        Path conf = node.dataDir().resolve(scratch ? "mariadb-scratch.cnf" : "mariadb.cnf");
        Files.writeString(conf, String.join("\n", lines) + "\n");
        return conf;
    }

    /** Node n0 is server 1, n1 server 2, ...: unique in the cluster, and the same for a node copied afresh. */
    static long serverId(String nodeId) {
        return nodeId.matches("n\\d+") ? 1 + Long.parseLong(nodeId.substring(1)) : 1000 + Math.floorMod(nodeId.hashCode(), 1_000_000);
    }

    private static boolean ping(Path socket) throws Exception {
        return "1".equals(client(socket, "SELECT 1"));
    }

    private String sql(String sql) throws Exception {
        return client(socket(), sql);
    }

    /** Runs SQL as root over the server's socket (root signs in there as the OS user root); its tab-separated output. */
    private static String client(Path socket, String sql) throws Exception {
        return mariadb(List.of("-S", socket.toString(), "-u", "root", "-N", "-B"), null, sql, Duration.ofMinutes(5));
    }

    /**
     * The mariadb client with {@code options} (where to, as whom, how to print) running {@code sql}:
     * the password (null: none) in MYSQL_PWD, never in the arguments, and a failed statement never
     * echoed, since some carry a password (CHANGE MASTER, CREATE USER). The keeper and the provider both call it.
     */
    static String mariadb(List<String> options, String password, String sql, Duration timeout) throws Exception {
        List<String> command = new ArrayList<>(List.of("mariadb", "--skip-print-query-on-error"));
        command.addAll(options);
        command.addAll(List.of("-e", sql));
        return Command.run(command, password == null ? Map.of() : Map.of("MYSQL_PWD", password), timeout);
    }

    private static void run(String... command) throws Exception {
        Command.run(List.of(command), Map.of(), Duration.ofMinutes(5));
    }

    static String literal(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
