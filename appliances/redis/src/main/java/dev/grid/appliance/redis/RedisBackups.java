package dev.grid.appliance.redis;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.Command;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Redis add-on's backups are RDB snapshots, as Redis writes them: {@code redis-cli --rdb}
 * streams one from a replica once it holds every write the primary had (from the primary when
 * there is no replica), so the primary never forks for a backup. A restore loads the RDB into
 * a scratch {@code redis-server} of its own on the controller's machine (a Unix socket only, as
 * {@code nobody}: an uploaded file is untrusted), then replaces the primary's data in one
 * {@code MULTI}/{@code EXEC} — {@code FLUSHALL} and a {@code RESTORE} per key — which Redis runs
 * whole or refuses whole, and which the replicas copy as one.
 */
final class RedisBackups implements Provider.Backups {
    /** A dump or a restore only bounds a hung one with this. */
    private static final Duration TOOL_TIMEOUT = Duration.ofHours(1);
    /** How long a backup waits for a replica to hold what the primary has before it takes it from the primary. */
    private static final Duration CATCH_UP = Duration.ofSeconds(30);
    /** The share of a node's memory a restore may use at its peak: the old data or the new, and every key's payload queued. */
    static final double MEMORY_SHARE = 0.9;
    private static final int BATCH = 500;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RedisBackups.class);

    private final Platform platform;

    RedisBackups(Platform platform) {
        this.platform = platform;
    }

    @Override
    public String fileFormat() {
        return "a Redis RDB file (redis-cli --rdb FILE)";
    }

    /** A node to connect to, and the CA its TLS is checked against (null: plain TCP). */
    record Node(String id, String address, int port, String caPem) {}

    @Override
    public void dump(Provider.Resource r, Path to) throws Exception {
        Map<String, String> secrets = Clusters.secrets(platform, keys(r));
        Map<String, NodeReport> reports = Clusters.reports(platform, keys(r));
        Node primary = primary(r, reports, secrets);
        Node from = caughtUpReplica(r, reports, primary, secrets);
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", from.address(), "-p", String.valueOf(from.port()), "--user", RedisDatastore.KEEPER_USER));
        Path ca = null;
        try {
            if (from.caPem() != null) {
                ca = Files.createTempFile("grid-redis-ca", ".crt");
                Files.writeString(ca, from.caPem());
                cmd.addAll(List.of("--tls", "--cacert", ca.toString()));
            }
            cmd.addAll(List.of("--rdb", to.toString()));
            Command.run(cmd, Map.of("REDISCLI_AUTH", secrets.get("KEEPER_PASSWORD")), TOOL_TIMEOUT);
            log.info("redis {}: backed up from {} ({} B)", r.id(), from.id(), Files.size(to));
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalStateException("redis-cli is not installed on the controller's machine: apt-get install redis-tools");
        } finally {
            if (ca != null) Files.deleteIfExists(ca);
        }
    }

    @Override
    public void restore(Provider.Resource r, Path from) throws Exception {
        Map<String, String> secrets = Clusters.secrets(platform, keys(r));
        Node primary = primary(r, Clusters.reports(platform, keys(r)), secrets);
        try (Scratch scratch = Scratch.load(from); Resp target = open(primary, secrets)) {
            Map<String, String> memory = Resp.fields(target.text("INFO", "memory"));
            long limit = Long.parseLong(memory.getOrDefault("maxmemory", "0"));
            long used = Long.parseLong(memory.getOrDefault("used_memory", "0"));
            List<Object[]> restores = scratch.restores();
            List<Object[]> keys = restores.stream().filter(c -> c[0].equals("RESTORE")).toList();
            long payload = keys.stream().mapToLong(c -> ((byte[]) c[3]).length).sum();
            String refusal = refusal(used, scratch.dataset(), payload, limit > 0 ? limit : RedisProvider.NODE_MB << 20);
            if (refusal != null) throw new IllegalArgumentException(refusal + ", so nothing was restored");
            replace(target, restores);
            log.info("redis {}: restored {} key(s) from a backup", r.id(), keys.size());
        }
    }

    /**
     * Why a restore would not fit in the node's memory, or null: at its peak Redis holds every
     * key's queued payload and either the data it has or the data restored.
     */
    static String refusal(long used, long dataset, long payload, long limit) {
        long peak = payload + Math.max(used, dataset);
        if (peak <= limit * MEMORY_SHARE) return null;
        return "the backup needs about " + mb(peak) + " of memory to restore and the node has " + mb(limit)
                + " (its maxmemory, or its container's); restore it into an add-on with more";
    }

    private static String mb(long bytes) {
        return (bytes + (1 << 20) - 1 >> 20) + " MB";
    }

    /** FLUSHALL and every RESTORE queued in one transaction, which Redis runs whole or not at all. */
    private static void replace(Resp target, List<Object[]> restores) throws IOException {
        target.call("MULTI");
        List<Object[]> all = new ArrayList<>();
        all.add(new Object[] {"FLUSHALL"});
        all.addAll(restores);
        for (int i = 0; i < all.size(); i += BATCH) {
            List<Object[]> batch = all.subList(i, Math.min(all.size(), i + BATCH));
            for (Object[] c : batch) target.send(c);
            target.flush();
            IOException refused = null;
            for (int k = 0; k < batch.size(); k++) {
                try {
                    target.read();
                } catch (Resp.Error e) {
                    if (refused == null) refused = e;
                }
            }
            if (refused != null) {
                target.call("DISCARD");
                throw new IllegalStateException("Redis refused the restore, so nothing changed: " + refused.getMessage());
            }
        }
        Object done;
        try {
            done = target.call("EXEC");
        } catch (Resp.Error e) {
            throw new IllegalStateException("Redis refused the restore, so nothing changed: " + e.getMessage());
        }
        if (!(done instanceof List<?> replies)) throw new IllegalStateException("Redis aborted the restore, so nothing changed");
        for (Object reply : replies) {
            if (reply instanceof Resp.Error e) throw new IllegalStateException("a key of the backup could not be restored: " + e.getMessage());
        }
    }

    private static ClusterKeys keys(Provider.Resource r) {
        return new ClusterKeys("redis", r.internal().get("cluster"));
    }

    private Node primary(Provider.Resource r, Map<String, NodeReport> reports, Map<String, String> secrets) {
        var state = Clusters.state(platform, keys(r)).orElseThrow(() -> new IllegalStateException("the cluster has no state yet"));
        NodeReport p = reports.get(state.primary());
        if (p == null || !p.isWritablePrimary()) throw new IllegalStateException("the primary of " + r.id() + " is not serving; try again once it is (grid redis:info)");
        return new Node(p.id(), p.address(), p.port(), RedisProvider.caServed(platform, keys(r), secrets));
    }

    /** A healthy replica of the primary's, once it holds every write the primary had now; the primary if none does within {@link #CATCH_UP}. */
    private Node caughtUpReplica(Provider.Resource r, Map<String, NodeReport> reports, Node primary, Map<String, String> secrets) throws Exception {
        NodeReport replica = source(reports.values(), primary.id());
        if (replica == null) return primary;
        Node node = new Node(replica.id(), replica.address(), replica.port(), primary.caPem());
        long wanted;
        try (Resp p = open(primary, secrets)) {
            wanted = Long.parseLong(Resp.fields(p.text("INFO", "replication")).getOrDefault("master_repl_offset", "0"));
        }
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        try (Resp s = open(node, secrets)) {
            while (System.nanoTime() < deadline) {
                Map<String, String> info = Resp.fields(s.text("INFO", "replication"));
                if ("up".equals(info.get("master_link_status")) && Long.parseLong(info.getOrDefault("slave_repl_offset", "-1")) >= wanted) return node;
                Thread.sleep(100);
            }
        } catch (IOException e) {
            log.info("redis {}: replica {} does not answer ({}): backing up from the primary", r.id(), replica.id(), e.getMessage());
            return primary;
        }
        log.info("redis {}: replica {} did not catch up within {} s: backing up from the primary", r.id(), replica.id(), CATCH_UP.toSeconds());
        return primary;
    }

    /** The replica to back up from: a healthy one that streams from the primary (the sync), or null. */
    static NodeReport source(java.util.Collection<NodeReport> reports, String primary) {
        return reports.stream().filter(n -> n.isReplicaOf(primary)).findFirst().orElse(null);
    }

    private static Resp open(Node node, Map<String, String> secrets) throws IOException {
        Resp c = Resp.connect(node.address(), node.port(), node.caPem(), 10_000);
        try {
            return c.auth(RedisDatastore.KEEPER_USER, secrets.get("KEEPER_PASSWORD"));
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /**
     * A {@code redis-server} of a restore's own, on a Unix socket in a directory only its user
     * ({@code nobody} when Grid runs as root) may enter, holding the RDB it loaded.
     */
    static final class Scratch implements AutoCloseable {
        private final Path dir;
        private final Process process;
        private final Resp client;

        private Scratch(Path dir, Process process, Resp client) {
            this.dir = dir;
            this.process = process;
            this.client = client;
        }

        static Scratch load(Path rdb) throws Exception {
            Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "grid-redis-restore-");
            Process process = null;
            try {
                Files.copy(rdb, dir.resolve("dump.rdb"));
                List<String> as = asNobody(dir);
                List<String> check = new ArrayList<>(as);
                check.addAll(List.of("redis-check-rdb", dir.resolve("dump.rdb").toString()));
                try {
                    Command.run(check, Map.of(), TOOL_TIMEOUT);
                } catch (java.io.FileNotFoundException e) {
                    throw new IllegalStateException("redis-check-rdb is not installed on the controller's machine: apt-get install redis-tools");
                } catch (IOException e) {
                    throw new IllegalArgumentException("the file is not a valid Redis RDB file, so nothing was restored ("
                            + lastLine(e.getMessage()) + ")");
                }
                Path socket = dir.resolve("redis.sock");
                List<String> server = new ArrayList<>(as);
                server.addAll(List.of("redis-server", "--port", "0", "--unixsocket", socket.toString(), "--unixsocketperm", "700",
                        "--dir", dir.toString(), "--dbfilename", "dump.rdb", "--appendonly", "no", "--save", "", "--daemonize", "no"));
                process = new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
                long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
                while (true) {
                    if (!process.isAlive()) throw new IllegalArgumentException("redis-server did not load the file, so nothing was restored: "
                            + lastLine(Files.readString(dir.resolve("redis.log"))));
                    if (Files.exists(socket)) {
                        Resp c = Resp.unix(socket);
                        try {
                            if ("PONG".equals(c.call("PING"))) return new Scratch(dir, process, c);
                        } catch (Resp.Error loading) {
                            // -LOADING: still reading the file
                        }
                        c.close();
                    }
                    if (System.nanoTime() > deadline) throw new IllegalStateException("redis-server did not load the file within " + TOOL_TIMEOUT.toMinutes() + " min");
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                if (process != null) process.destroyForcibly().waitFor();
                delete(dir);
                throw e;
            }
        }

        /** {@link Command#asNobody}, with the directory made that user's when Grid runs as root. */
        private static List<String> asNobody(Path dir) throws IOException {
            if (Command.asNobody().isEmpty()) return List.of();
            var nobody = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(dir, nobody);
            Files.setOwner(dir.resolve("dump.rdb"), nobody);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return Command.asNobody();
        }

        long pid() {
            return process.pid();
        }

        Path dir() {
            return dir;
        }

        /** The memory its keys take ({@code used_memory} past what an empty server uses). */
        long dataset() throws IOException {
            Map<String, String> memory = Resp.fields(client.text("INFO", "memory"));
            return Math.max(0, Long.parseLong(memory.getOrDefault("used_memory", "0")) - Long.parseLong(memory.getOrDefault("used_memory_startup", "0")));
        }

        /** {@code SELECT}s and {@code RESTORE key ttl payload REPLACE}s that make its data again, database by database. */
        List<Object[]> restores() throws IOException {
            List<Object[]> out = new ArrayList<>();
            for (String db : Resp.fields(client.text("INFO", "keyspace")).keySet()) {
                if (!db.startsWith("db")) continue;
                client.call("SELECT", db.substring(2));
                out.add(new Object[] {"SELECT", db.substring(2)});
                String cursor = "0";
                do {
                    List<?> page = (List<?>) client.call("SCAN", cursor, "COUNT", "1000");
                    cursor = new String((byte[]) page.get(0), java.nio.charset.StandardCharsets.US_ASCII);
                    List<?> keys = (List<?>) page.get(1);
                    for (Object key : keys) {
                        client.send("DUMP", key);
                        client.send("PTTL", key);
                    }
                    client.flush();
                    for (Object key : keys) {
                        byte[] payload = (byte[]) client.read();
                        long ttl = (Long) client.read();
                        if (payload != null && ttl != -2) out.add(new Object[] {"RESTORE", key, Math.max(0, ttl), payload, "REPLACE"});
                    }
                } while (!cursor.equals("0"));
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            client.close();
            process.destroyForcibly().waitFor();
            delete(dir);
        }

        private static String lastLine(String text) {
            String[] lines = text == null ? new String[0] : text.strip().split("\n");
            return lines.length == 0 ? "no output" : lines[lines.length - 1].strip();
        }

        private static void delete(Path dir) throws IOException {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
