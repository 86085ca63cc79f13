package dev.grid.appliance.redis;

import dev.grid.appliance.Role;
import dev.grid.appliance.Command;
import dev.grid.appliance.Datastore;
import dev.grid.appliance.NodeConfig;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;

/**
 * Redis 7 as a Grid data node, driven by the keeper: AOF ({@code everysec}) on the node's
 * volume, {@code REPLICAOF} to follow and {@code REPLICAOF NO ONE} to promote. Three ACL
 * users: the app's ({@code default}, so that a client sending {@code AUTH PASSWORD} alone
 * is it), which may run every command a Heroku Redis user may but none that changes
 * replication, persistence, users or the server ({@link #APP_COMMANDS}); the keeper's,
 * with every command; and the replicas', with only what replication needs. A replica is started as a replica (its config names
 * the primary), so a deposed primary never serves writes again: it resynchronises from the
 * new primary, discarding what it had that was never replicated.
 */
public final class RedisDatastore implements Datastore {
    static final int MAX_LAG_SECONDS = 10;
    static final String KEEPER_USER = "grid-keeper";
    static final String REPLICA_USER = "grid-replica";
    /**
     * What the app's user may run: everything but what would break the failover promise or lock
     * the keeper out (CONFIG, REPLICAOF/SLAVEOF, FAILOVER, ACL, MODULE, DEBUG, SHUTDOWN), act as
     * a replica (SYNC, PSYNC, REPLCONF: a fake replica's acknowledgements would satisfy
     * min-replicas-to-write), change persistence (SAVE, BGSAVE, BGREWRITEAOF), reach other
     * machines from the node (MIGRATE), or stop other clients (CLIENT KILL, CLIENT PAUSE).
     */
    static final String APP_COMMANDS = "+@all -config -replicaof -slaveof -failover -acl -module -debug -shutdown"
            + " -sync -psync -replconf -save -bgsave -bgrewriteaof -migrate -monitor -cluster -client|kill -client|pause";

    private NodeConfig node;
    private Path dir;
    private final ServerProcess redis = new ServerProcess("redis-server");
    private Peer upstream;
    private int minReplicas;
    /** The sync the keeper named (null: none). */
    private Peer sync;
    private Map<String, String> settings = Map.of();
    /** Serving TLS only ({@link #tls}): once the cluster spans hosts, on a cluster with certificates. */
    private boolean tls;
    private Path tlsDir;

    @Override
    public void configure(NodeConfig node) throws Exception {
        this.node = node;
        this.dir = node.dataDir().resolve("redis");
        Files.createDirectories(dir);
        this.tlsDir = node.dataDir().resolve("tls");
    }

    /**
     * Whether the node serves TLS only: once its cluster has spanned hosts
     * ({@link dev.grid.appliance.Clusters#SPANNED_HOSTS}), if it has certificates (made by this
     * Grid or later). Replication then uses TLS too.
     */
    static boolean tls(Map<String, String> secrets, Map<String, String> settings) {
        return secrets.containsKey(dev.grid.appliance.Clusters.TLS_CA) && "yes".equals(settings.get(dev.grid.appliance.Clusters.SPANNED_HOSTS));
    }

    private void writeTlsFiles() throws IOException {
        Files.createDirectories(tlsDir);
        Files.writeString(tlsDir.resolve("ca.crt"), node.secret(dev.grid.appliance.Clusters.TLS_CA));
        Files.writeString(tlsDir.resolve("server.crt"), node.secret(dev.grid.appliance.Clusters.TLS_SERVER_CERT));
        Path key = tlsDir.resolve("server.key");
        Files.writeString(key, node.secret(dev.grid.appliance.Clusters.TLS_SERVER_KEY));
        key.toFile().setReadable(false, false);
        key.toFile().setReadable(true, true);
    }

    /**
     * The other replicas stream from the sync: {@code WAIT} counts every replica attached to the
     * primary, so with them attached too, {@code WAIT 1} could be satisfied by a replica on the
     * primary's own host, and the loss of that host would lose a write it confirmed.
     */
    @Override
    public boolean cascades() {
        return true;
    }

    @Override
    public void becomePrimary() throws Exception {
        upstream = null;
        writeConf();
        if (running()) cli("REPLICAOF", "NO", "ONE");
        else start();
    }

    @Override
    public void follow(Peer peer, boolean stalled) throws Exception {
        upstream = peer;
        writeConf();
        if (running() && !stalled) cli("REPLICAOF", peer.address(), String.valueOf(peer.port()));
        else {
            stop();
            start();
        }
    }

    /**
     * Replication is asynchronous; what a named sync changes is {@code min-replicas-to-write}:
     * while the cluster has a sync, the primary refuses writes that it has not acknowledged within
     * {@value #MAX_LAG_SECONDS} s, which bounds what a failover can lose. The sync is the one
     * replica attached to the primary ({@link #cascades}), so a write {@code WAIT 1} confirms is on it.
     */
    @Override
    public void requireSync(Peer replica) throws Exception {
        sync = replica;
        minReplicas = replica == null ? 0 : 1;
        writeConf();
        if (running()) cli("CONFIG", "SET", "min-replicas-to-write", String.valueOf(minReplicas));
    }

    /**
     * Re-issued certificates: into the files, and setting the TLS files again makes a running
     * Redis load them (new connections use them; open ones stay).
     */
    @Override
    public void reconfigure(NodeConfig node) throws Exception {
        this.node = node;
        if (!tls) return;
        writeTlsFiles();
        if (running()) {
            cli("CONFIG", "SET", "tls-cert-file", tlsDir.resolve("server.crt").toString(), "tls-key-file", tlsDir.resolve("server.key").toString(),
                    "tls-ca-cert-file", tlsDir.resolve("ca.crt").toString());
        }
    }

    /** {@link RedisSettings}, into the config file and, on a running server, by CONFIG SET (a removed one back to its default). */
    @Override
    public void settings(Map<String, String> settings) throws Exception {
        this.settings = Map.copyOf(settings);
        boolean wasTls = tls;
        tls = tls(node.secrets(), settings);
        if (tls) writeTlsFiles();
        writeConf();
        if (!running()) return;
        if (tls != wasTls) {
            // The port changes protocol: Redis takes that only at start. Its clients get rediss:// by a new release.
            stop();
            start();
            return;
        }
        for (var e : RedisSettings.effective(settings).entrySet()) cli("CONFIG", "SET", e.getKey(), e.getValue());
    }

    @Override
    public Observation observe() {
        if (!running()) return Observation.stopped(redis.notRunning());
        try {
            Map<String, String> info = Resp.fields(cli("INFO", "replication"));
            if ("master".equals(info.get("role"))) {
                Map<String, Long> replicas = new HashMap<>();
                for (var e : info.entrySet()) {
                    if (!e.getKey().matches("slave\\d+")) continue;
                    Map<String, String> r = new HashMap<>();
                    for (String kv : e.getValue().split(",")) {
                        int i = kv.indexOf('=');
                        if (i > 0) r.put(kv.substring(0, i), kv.substring(i + 1));
                    }
                    replicas.put(r.get("ip") + ":" + r.get("port"), Long.parseLong(r.getOrDefault("offset", "0")));
                }
                return primaryObservation(Long.parseLong(info.getOrDefault("master_repl_offset", "0")), replicas, sync, minReplicas > 0);
            }
            boolean ours = upstream != null && upstream.address().equals(info.get("master_host"))
                    && String.valueOf(upstream.port()).equals(info.get("master_port"));
            if (ours && "1".equals(info.get("master_sync_in_progress"))) {
                // Receiving a full copy: connected to its upstream, but its data is not a replica's yet,
                // so it is no candidate for promotion.
                return new Observation(Role.SYNCING, null, upstream.id(), null, null, "full sync from " + upstream.id());
            }
            String from = ours && "up".equals(info.get("master_link_status")) ? upstream.id() : null;
            return new Observation(Role.REPLICA, info.getOrDefault("slave_repl_offset", "0"), from, null, null,
                    from == null ? "replica, link down" : "replica of " + from);
        } catch (Exception e) {
            return Observation.stopped("redis does not answer: " + e.getMessage());
        }
    }

    /**
     * A primary's observation from the replicas attached ({@code ip:port} to acknowledged offset):
     * the sync active only while it is the one replica attached and writes wait for it
     * ({@code min-replicas-to-write}), and then its acknowledged offset the durable one; with another
     * attached too (an async not yet moved to the sync), {@code WAIT 1} could count that one instead.
     */
    static Observation primaryObservation(long offset, Map<String, Long> attached, Peer sync, boolean required) {
        String syncAt = sync == null || sync.address() == null ? null : sync.address() + ":" + sync.port();
        boolean active = required && syncAt != null && attached.size() == 1 && attached.containsKey(syncAt);
        return new Observation(Role.PRIMARY, String.valueOf(offset), null, active ? sync.id() : null, active ? String.valueOf(attached.get(syncAt)) : null,
                "primary, " + attached.size() + " replica(s) attached" + (sync == null ? "" : active ? ", the sync alone"
                        : syncAt != null && attached.containsKey(syncAt) ? ", the sync among them" : ", not the sync " + sync.id() + " yet"));
    }

    @Override
    public void stop() {
        redis.stop(Process::destroy, Duration.ofSeconds(20)); // SIGTERM: Redis flushes its AOF and exits
    }

    private boolean running() {
        return redis.running();
    }

    private void start() throws Exception {
        redis.start(new ProcessBuilder("redis-server", dir.resolve("redis.conf").toString()).directory(dir.toFile()),
                () -> cli("PING").equals("PONG"), Duration.ofMinutes(2));
    }

    /** The keeper's own user and password, or the app's password alone on a cluster an earlier Grid made (no users then). */
    private boolean users() {
        return node.secrets().containsKey("KEEPER_PASSWORD") && node.secrets().containsKey("REPLICA_PASSWORD");
    }

    /** Grid's own users besides the app's ({@code default}): each a user name and its ACL rules, as redis.conf and ACL SETUSER take them. */
    static List<List<String>> usersFor(Map<String, String> secrets) {
        return List.of(List.of(KEEPER_USER, "on", ">" + secrets.get("KEEPER_PASSWORD"), "~*", "&*", "+@all"),
                List.of(REPLICA_USER, "on", ">" + secrets.get("REPLICA_PASSWORD"), "+psync", "+replconf", "+ping"));
    }

    private void writeConf() throws IOException {
        String password = node.secret("PASSWORD");
        List<String> auth = new ArrayList<>();
        if (users()) {
            auth.add("user default on >" + password + " ~* &* " + APP_COMMANDS);
            for (List<String> user : usersFor(node.secrets())) auth.add("user " + String.join(" ", user));
            auth.addAll(List.of("masteruser " + REPLICA_USER, "masterauth " + node.secret("REPLICA_PASSWORD")));
        } else {
            auth.addAll(List.of("requirepass " + password, "masterauth " + password));
        }
        List<String> lines = new ArrayList<>(List.of(
                "# Written by the Grid keeper; changes here are overwritten.",
                "bind " + node.address(),
                "protected-mode no",
                "daemonize no",
                "logfile \"\"",
                "dir " + dir,
                "appendonly yes",
                "appendfsync everysec",
                "save \"\"",
                "replica-read-only yes",
                "repl-diskless-sync-delay 0",
                "replica-announce-ip " + node.address(),
                "replica-announce-port " + node.port(),
                "min-replicas-to-write " + minReplicas,
                "min-replicas-max-lag " + MAX_LAG_SECONDS));
        lines.addAll(tls ? List.of("port 0", "tls-port " + node.port(), "tls-cert-file " + tlsDir.resolve("server.crt"),
                "tls-key-file " + tlsDir.resolve("server.key"), "tls-ca-cert-file " + tlsDir.resolve("ca.crt"), "tls-auth-clients no",
                "tls-replication yes") : List.of("port " + node.port()));
        lines.addAll(RedisSettings.confLines(settings));
        lines.addAll(auth);
        if (upstream != null) lines.add("replicaof " + upstream.address() + " " + upstream.port());
        Path conf = dir.resolve("redis.conf");
        Files.writeString(conf, String.join("\n", lines) + "\n");
        conf.toFile().setReadable(false, false);
        conf.toFile().setReadable(true, true);
    }

    /**
     * While primary, a paused or cut-off keeper's watchdog pauses every client's writes
     * ({@code CLIENT PAUSE WRITE}, for a day): they wait rather than being acknowledged by a node
     * the manager may be replacing, and fail when it is stopped as a deposed primary.
     */
    @Override
    public Fence fence() {
        if (node == null) return null;
        return new Fence(cliCommand("CLIENT", "PAUSE", "86400000", "WRITE"), cliEnv());
    }

    @Override
    public void unfence() throws Exception {
        if (running()) cli("CLIENT", "UNPAUSE");
    }

    /** redis-cli against this node as the keeper's user; the password goes in REDISCLI_AUTH ({@link #cliEnv}), not in arguments. */
    private List<String> cliCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", node.address(), "-p", String.valueOf(node.port())));
        if (tls) cmd.addAll(List.of("--tls", "--cacert", tlsDir.resolve("ca.crt").toString()));
        if (users()) cmd.addAll(List.of("--user", KEEPER_USER));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Map<String, String> cliEnv() {
        return Map.of("REDISCLI_AUTH", node.secret(users() ? "KEEPER_PASSWORD" : "PASSWORD"));
    }

    /** {@link #cliCommand}, run; an error reply fails. */
    private String cli(String... args) throws Exception {
        String out = Command.run(cliCommand(args), cliEnv(), Duration.ofSeconds(10));
        for (String error : List.of("ERR", "LOADING", "NOAUTH", "WRONGPASS", "NOPERM")) {
            if (out.startsWith(error)) throw new IOException("redis-cli " + args[0] + ": " + out);
        }
        return out;
    }
}
