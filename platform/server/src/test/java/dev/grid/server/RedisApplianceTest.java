package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.host.Docker.Container;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.keeper.Watchdog;
import dev.grid.testing.Eventually;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The Redis appliance end to end: dedicated clusters per add-on in real containers on two
 * loopback hosts, reached with Jedis and redis-cli through each add-on's leader TCP route.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisApplianceTest {
    static final int CHAOS_ROUNDS = Integer.getInteger("grid.chaos.rounds", 3);
    TestCluster grid;
    TestApi api;

    @BeforeAll
    void start() throws Exception {
        grid = new TestCluster(4);
        api = grid.api;
        grid.startHosts(2);
        grid.startGit(dev.grid.builder.BuildLimits.DEFAULTS);
    }

    @AfterAll
    void stop() {
        grid.close();
    }

    static ClusterKeys keys(String addon) {
        return new ClusterKeys("redis", addon);
    }

    ClusterState state(String addon) {
        return Clusters.state(grid.store, keys(addon)).orElse(null);
    }

    Container container(String addon, String node) {
        return grid.nodeContainer(keys(addon), node);
    }

    /** The client config a REDIS_URL asks for: TLS that trusts only the cluster's CA (REDIS_CA_CERT) for rediss://. */
    static redis.clients.jedis.JedisClientConfig tlsConfig(Map<String, String> env, int timeoutMillis) {
        return tlsConfig(env, timeoutMillis, true);
    }

    /** As above; without {@code checkName}, for a node's own address, which its certificate does not name (the route's host is). */
    static redis.clients.jedis.JedisClientConfig tlsConfig(Map<String, String> env, int timeoutMillis, boolean checkName) {
        var b = redis.clients.jedis.DefaultJedisClientConfig.builder().timeoutMillis(timeoutMillis);
        if (!env.get("REDIS_URL").startsWith("rediss://")) return b.build();
        b.ssl(true).sslSocketFactory(dev.grid.appliance.ClusterCa.trusting(env.get("REDIS_CA_CERT")).getSocketFactory());
        if (!checkName) b.sslParameters(new javax.net.ssl.SSLParameters());
        return b.build();
    }

    /** A client on the add-on's REDIS_URL, as an app would make one. */
    static Jedis jedis(Map<String, String> env, int timeoutMillis) {
        return new Jedis(URI.create(env.get("REDIS_URL")), tlsConfig(env, timeoutMillis));
    }

    static Jedis jedis(Map<String, String> env) {
        return jedis(env, 2000);
    }

    /** The same connection without credentials. */
    static Jedis anonymous(Map<String, String> env) {
        return new Jedis(new redis.clients.jedis.HostAndPort(env.get("REDIS_HOST"), Integer.parseInt(env.get("REDIS_PORT"))), tlsConfig(env, 2000));
    }

    /** The node's address as the node itself says (one node per host): which node a connection through the route reached. */
    static String address(Jedis j) {
        // CLIENT INFO's laddr is the server's end of this connection (the app's user may not run CONFIG).
        for (String field : j.clientInfo().split(" ")) {
            if (field.startsWith("laddr=")) return field.substring(6, field.lastIndexOf(':'));
        }
        throw new AssertionError("no laddr in CLIENT INFO");
    }

    @Test
    @Order(1)
    void provisionGivesAWorkingRedisUrlOnAPrimaryAndAReplicaOnTwoHosts() {
        assertEquals(0, api.cli("apps:create", "cache").exitCode());
        long t0 = System.nanoTime();
        var r = api.cli("addons:create", "redis", "-a", "cache", "--name", "cache-kv");
        assertEquals(0, r.exitCode(), r.err());
        System.out.printf("BENCH redis provision (a new 2-node cluster): %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        Map<String, String> env = api.config("cache");
        for (String k : List.of("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD")) assertTrue(env.containsKey(k), k + " in " + env);
        // Its nodes are on two hosts, so its traffic leaves machines: TLS only, with the CA to check the server by.
        assertTrue(env.get("REDIS_URL").startsWith("rediss://default:"), env.get("REDIS_URL"));
        assertEquals(Clusters.secrets(grid.store, keys("cache-kv")).get(Clusters.TLS_CA), env.get("REDIS_CA_CERT"));
        assertThrows(JedisException.class, () -> {
            try (Jedis plain = new Jedis(env.get("REDIS_HOST"), Integer.parseInt(env.get("REDIS_PORT")), 2000)) {
                plain.auth(env.get("REDIS_PASSWORD"));
            }
        }, "no plaintext on the add-on's port");
        try (Jedis j = jedis(env)) {
            assertEquals("OK", j.set("greeting", "hello"));
            assertEquals("hello", j.get("greeting"));
            assertEquals(1, j.waitReplicas(1, 5000), "the replica acknowledges");
        }
        var cli = api.cli("redis:cli", "-a", "cache", "GET", "greeting");
        assertEquals(0, cli.exitCode(), cli.err());
        assertEquals("hello", cli.out().strip());
        Set<String> hosts = new HashSet<>();
        for (String n : List.of("n0", "n1")) hosts.add(container("cache-kv", n).labels().get("grid.host"));
        assertEquals(2, hosts.size(), "primary and replica on distinct hosts: " + hosts);
        var info = api.cli("redis:info", "-a", "cache");
        assertTrue(info.out().contains("primary") && info.out().contains("replica") && info.out().contains("WAIT 1"), info.out());
    }

    @Test
    @Order(2)
    void oneAddonsPasswordOpensNothingOfAnothers() {
        assertEquals(0, api.cli("apps:create", "other").exitCode());
        var r = api.cli("addons:create", "redis", "--replicas", "0", "-a", "other", "--name", "other-kv");
        assertEquals(0, r.exitCode(), r.err());
        Map<String, String> cache = api.config("cache");
        Map<String, String> other = api.config("other");
        assertTrue(other.get("REDIS_URL").startsWith("redis://") && !other.containsKey("REDIS_CA_CERT"),
                "a single node is on one machine: plaintext over loopback, " + other.get("REDIS_URL"));
        assertNotEquals(cache.get("REDIS_PORT"), other.get("REDIS_PORT"), "each add-on has its own route");
        try (Jedis j = new Jedis(other.get("REDIS_HOST"), Integer.parseInt(other.get("REDIS_PORT")))) {
            JedisException e = assertThrows(JedisException.class, () -> j.auth(cache.get("REDIS_PASSWORD")));
            assertTrue(e.getMessage().contains("WRONGPASS"), e.getMessage());
        }
        try (Jedis j = anonymous(cache)) {
            JedisException e = assertThrows(JedisException.class, () -> j.get("greeting"));
            assertTrue(e.getMessage().contains("NOAUTH"), e.getMessage());
        }
    }

    @Test
    @Order(3)
    void aSecondRedisAttachedUnderANameIsReachedByRedisCliWithAddon() {
        var clash = api.cli("addons:attach", "other-kv", "-a", "cache");
        assertTrue(clash.exitCode() != 0 && clash.err().contains("cache already has REDIS_URL (from the add-on cache-kv)"), clash.err());
        var named = api.cli("addons:attach", "other-kv", "-a", "cache", "--as", "SESSIONS");
        assertEquals(0, named.exitCode(), named.err());
        try {
            Map<String, String> cache = api.config("cache");
            assertEquals(api.config("other").get("REDIS_URL"), cache.get("SESSIONS_URL"));
            assertTrue(cache.containsKey("SESSIONS_REDIS_PASSWORD") && cache.containsKey("REDIS_URL"), cache.keySet().toString());
            var several = api.cli("redis:cli", "-a", "cache", "PING");
            assertTrue(several.exitCode() != 0 && several.err().contains("--addon NAME"), several.err());
            var set = api.cli("redis:cli", "-a", "cache", "--addon", "SESSIONS", "SET", "named", "attachment");
            assertEquals(0, set.exitCode(), set.err());
            var got = api.cli("redis:cli", "-a", "other", "GET", "named");
            assertTrue(got.out().contains("attachment"), "the SESSIONS_* vars reach other-kv: " + got.out() + got.err());
        } finally {
            assertEquals(0, api.cli("addons:detach", "other-kv", "-a", "cache").exitCode());
            api.cli("redis:cli", "-a", "other", "DEL", "named");
        }
    }

    /** Runs a tool here (redis-check-rdb, redis-cli); its exit code and output. */
    private static TestGit.Result tool(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return new TestGit.Result(p.waitFor(), out);
    }

    /** A value of each type, a TTL, and a key in database 1: what a backup must bring back as it was. */
    static Map<String, Object> snapshot(Jedis j) {
        Map<String, Object> s = new java.util.TreeMap<>();
        j.select(0);
        for (String k : j.keys("*")) {
            s.put(k + ":" + j.type(k), switch (j.type(k)) {
                case "string" -> j.get(k);
                case "hash" -> new java.util.TreeMap<>(j.hgetAll(k));
                case "list" -> j.lrange(k, 0, -1);
                default -> "?";
            });
        }
        j.select(1);
        for (String k : j.keys("*")) s.put("db1/" + k, j.get(k));
        j.select(0);
        return s;
    }

    @Test
    @Order(3)
    void backupsAreRdbSnapshotsTakenFromTheReplicaAndRestoredWholeOrNotAtAll() throws Exception {
        Map<String, String> env = api.config("cache");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("grid-redis-backup");
        Map<String, Object> before;
        try (Jedis j = jedis(env)) {
            j.flushAll();
            j.set("b:string", "one");
            j.hset("b:hash", Map.of("f", "v", "g", "w"));
            j.rpush("b:list", "x", "y", "z");
            j.set("b:ttl", "soon", redis.clients.jedis.params.SetParams.setParams().px(600_000));
            j.select(1);
            j.set("b:db1", "elsewhere");
            j.select(0);
            before = snapshot(j); // written just now: the backup waits for the replica to hold them
        }
        var captured = api.cli("redis:backups:capture", "-a", "cache");
        assertEquals(0, captured.exitCode(), captured.err());
        assertTrue(captured.out().contains("Captured b001"), captured.out());
        java.nio.file.Path saved = dir.resolve("saved.rdb");
        var download = api.cli("redis:backups:download", "-a", "cache", "-o", saved.toString());
        assertEquals(0, download.exitCode(), download.err());
        var checked = tool("redis-check-rdb", saved.toString());
        assertEquals(0, checked.exit(), "an RDB file as Redis writes it: " + checked.output());

        try (Jedis j = jedis(env)) {
            j.set("b:string", "two");
            j.del("b:hash");
            j.set("b:new", "after the backup");
        }
        var unconfirmed = api.cli("redis:backups:restore", "-a", "cache");
        assertTrue(unconfirmed.err().contains("confirm with --confirm cache"), unconfirmed.err());
        var restored = api.cli("redis:backups:restore", "b001", "-a", "cache", "--confirm", "cache");
        assertEquals(0, restored.exitCode(), restored.err());
        try (Jedis j = jedis(env)) {
            assertEquals(before, snapshot(j), "the data as the backup has it, in both databases");
            long ttl = j.pttl("b:ttl");
            assertTrue(ttl > 0 && ttl <= 600_000, "the TTL kept: " + ttl);
            assertEquals(1, j.waitReplicas(1, 5000), "the replica copies the restore");
        }

        // A file that is not an RDB is refused, and nothing changes.
        java.nio.file.Path junk = java.nio.file.Files.writeString(dir.resolve("junk.rdb"), "REDIS0010 this is not a snapshot");
        var bad = api.cli("redis:backups:restore", "-a", "cache", "--file", junk.toString(), "--confirm", "cache");
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("not a valid Redis RDB file, so nothing was restored"), bad.err());

        // An RDB made outside Grid (by a redis-server of this machine) comes in whole.
        java.nio.file.Path socket = dir.resolve("outside.sock");
        Process outside = new ProcessBuilder("redis-server", "--port", "0", "--unixsocket", socket.toString(), "--dir", dir.toString(),
                "--dbfilename", "outside.rdb", "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(dir.resolve("outside.log").toFile()).start();
        try {
            Eventually.await("a redis-server here", Duration.ofSeconds(10), () -> java.nio.file.Files.exists(socket), b -> b);
            assertEquals(0, tool("redis-cli", "-s", socket.toString(), "SET", "outside", "yes").exit());
            assertEquals(0, tool("redis-cli", "-s", socket.toString(), "SAVE").exit());
        } finally {
            outside.destroy();
            outside.waitFor();
        }
        try (Jedis j = jedis(env)) {
            assertEquals(before, snapshot(j), "a refused file changed nothing");
        }
        var imported = api.cli("redis:backups:restore", "-a", "cache", "--file", dir.resolve("outside.rdb").toString(), "--confirm", "cache");
        assertEquals(0, imported.exitCode(), imported.err());
        try (Jedis j = jedis(env)) {
            assertEquals(Map.of("outside:string", "yes"), snapshot(j), "the data as the file has it");
            j.flushAll();
            j.set("greeting", "hello"); // as the tests after this one find it
            j.waitReplicas(1, 5000);
        }
        assertTrue(grid.blobs.dir().toFile().list((d, n) -> n.contains("upload")).length == 0, "the uploaded files are not kept");

        // A single node (no replica) is backed up from its primary; the daily schedule is the same commands as Postgres's.
        var single = api.cli("redis:backups:capture", "-a", "other");
        assertEquals(0, single.exitCode(), single.err());
        assertTrue(api.cli("redis:backups", "-a", "cache").out().contains("b001"));
        var scheduled = api.cli("redis:backups:schedule", "-a", "cache", "--at", "03:30 UTC", "--keep", "2");
        assertEquals(0, scheduled.exitCode(), scheduled.err());
        assertTrue(api.cli("redis:backups:schedules", "-a", "cache").out().contains("03:30 UTC"));
        assertEquals(0, api.cli("redis:backups:unschedule", "-a", "cache").exitCode());
        assertTrue(api.cli("redis:backups:schedules", "-a", "cache").out().contains("No backup schedule"));
    }

    @Test
    @Order(2)
    void theAppsUserIsRefusedEveryCommandThatWouldBreakTheFailoverPromiseAndTheClusterIsUnchanged() throws Exception {
        Map<String, String> env = api.config("cache");
        List<List<String>> admin = List.of(List.of("CONFIG", "SET", "min-replicas-to-write", "0"), List.of("CONFIG", "SET", "appendonly", "no"),
                List.of("CONFIG", "SET", "requirepass", "mine"), List.of("CONFIG", "GET", "masterauth"), List.of("REPLICAOF", "NO", "ONE"),
                List.of("SLAVEOF", "127.0.0.1", "1"), List.of("FAILOVER"), List.of("ACL", "SETUSER", "grid-keeper", "off"), List.of("ACL", "LIST"),
                List.of("MODULE", "LOAD", "/tmp/evil.so"), List.of("DEBUG", "SLEEP", "0"), List.of("SHUTDOWN", "NOSAVE"), List.of("SAVE"),
                List.of("BGREWRITEAOF"), List.of("MIGRATE", "127.0.0.1", "1", "greeting", "0", "1000"), List.of("CLIENT", "KILL", "TYPE", "master"),
                List.of("CLIENT", "PAUSE", "60000"), List.of("PSYNC", "?", "-1"), List.of("REPLCONF", "ack", "999999999"), List.of("MONITOR"));
        try (Jedis j = jedis(env)) {
            for (List<String> cmd : admin) {
                redis.clients.jedis.commands.ProtocolCommand name = () -> redis.clients.jedis.util.SafeEncoder.encode(cmd.get(0));
                JedisException e = assertThrows(JedisException.class, () -> j.sendCommand(name, cmd.subList(1, cmd.size()).toArray(String[]::new)),
                        String.join(" ", cmd));
                // MODULE and DEBUG Redis 7 refuses to every client by default (enable-module-command,
                // enable-debug-command); the ACL refuses them too, and everything else.
                assertTrue(e.getMessage().startsWith("NOPERM") || e.getMessage().contains("command not allowed"), String.join(" ", cmd) + ": " + e.getMessage());
            }
            // Every data command, FLUSHDB too, as on Heroku.
            assertEquals("OK", j.set("scratch", "1"));
            assertEquals("OK", j.flushDB());
            assertEquals("OK", j.set("greeting", "hello"));
            assertEquals(1, j.waitReplicas(1, 5000), "the replica still acknowledges: replication is as it was");
            assertTrue(j.info("replication").contains("role:master"));
        }
        // The URL names its user, so the clients people use take it as it is: redis-cli 7 (an empty user fails there).
        java.nio.file.Path ca = java.nio.file.Files.createTempFile("redis-ca", ".crt");
        java.nio.file.Files.writeString(ca, env.get("REDIS_CA_CERT"));
        ca.toFile().deleteOnExit();
        Process p = new ProcessBuilder("redis-cli", "-u", env.get("REDIS_URL"), "--cacert", ca.toString(), "--no-auth-warning", "GET", "greeting")
                .redirectErrorStream(true).start();
        assertEquals("hello", new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip());
        assertEquals(0, p.waitFor());
        var info = api.cli("redis:info", "-a", "cache");
        assertTrue(info.out().contains("primary") && info.out().contains("replica"), "the keeper still sees both: " + info.out());
    }

    /** A Node app with the npm package redis (node-redis 4), which takes REDIS_URL as it is, as the app's user. */
    static final String NODE_APP = """
            const { createClient } = require('redis');
            require('http').createServer(async (q, s) => {
              // rediss:// once the cluster spans hosts; the CA in the config checks the server and its name.
              const c = createClient({ url: process.env.REDIS_URL,
                socket: { tls: process.env.REDIS_URL.startsWith('rediss:'), ca: process.env.REDIS_CA_CERT } });
              c.on('error', () => {});
              try {
                await c.connect();
                await c.set('from-node', 'hello from node-redis');
                const value = await c.get('from-node');
                let admin;
                try { await c.configSet('appendonly', 'no'); admin = 'CONFIG SET allowed'; } catch (e) { admin = e.message.split(' ')[0]; }
                s.end(value + ' | ' + admin);
              } catch (e) {
                s.end('failed: ' + e.message);
              } finally {
                c.quit().catch(() => {});
              }
            }).listen(process.env.PORT);
            """;

    @Test
    @Order(2)
    void aNodeAppTakesTheUrlAsItIsWithTheNpmRedisClientAndItsUserStillMayNotRunConfig() throws Exception {
        TestGit git = new TestGit(grid);
        java.nio.file.Path src = git.repo("noderedis", Map.of("package.json", "{\"name\":\"noderedis\",\"version\":\"1.0.0\","
                + "\"scripts\":{\"start\":\"node server.js\"},\"dependencies\":{\"redis\":\"4.7.1\"}}\n", "server.js", NODE_APP));
        TestGit.Result pushed = git.push(src, "cache", "main");
        assertEquals(0, pushed.exit(), pushed.output());
        String answer = Eventually.await("the Node app through the router", Duration.ofSeconds(30),
                () -> RoutedAppTest.viaRouter(grid, "cache.grid.test", "/"), a -> a.startsWith("HTTP/1.1 200 OK | hello"));
        assertEquals("HTTP/1.1 200 OK | hello from node-redis | NOPERM", answer);
        try (Jedis j = jedis(api.config("cache"))) {
            assertEquals("hello from node-redis", j.get("from-node"), "the same database as every other client");
            assertEquals(1, j.waitReplicas(1, 5000), "and replication is as it was");
        }
        assertEquals(0, api.cli("ps:scale", "-a", "cache", "web=0").exitCode());
    }

    @Test
    @Order(2)
    void anEarlierGridsUrlIsMigratedByTheNextControllerWithNoManualStep() throws Exception {
        // The add-on and its app as an earlier Grid left them: a URL without a user.
        String current = api.config("cache").get("REDIS_URL");
        String old = "redis://:" + current.substring(current.indexOf("://default:") + "://default:".length()); // no user, no TLS
        var entry = grid.store.get("addons/cache-kv").orElseThrow();
        com.fasterxml.jackson.databind.node.ObjectNode addon = (com.fasterxml.jackson.databind.node.ObjectNode) dev.grid.core.Json.MAPPER.readTree(entry.value());
        ((com.fasterxml.jackson.databind.node.ObjectNode) addon.path("env")).put("REDIS_URL", old);
        ((com.fasterxml.jackson.databind.node.ObjectNode) addon.path("attachments").path("cache")).put("REDIS_URL", old);
        grid.store.put("addons/cache-kv", dev.grid.core.Json.MAPPER.writeValueAsString(addon));
        assertEquals(0, api.cli("config:set", "-a", "cache", "REDIS_URL=" + old).exitCode());

        try (var upgraded = grid.startAnotherController()) {
            assertEquals(current, Eventually.await("the app's REDIS_URL to name its user", Duration.ofSeconds(30),
                    () -> api.config("cache").get("REDIS_URL"), current::equals));
        }
        try (Jedis j = jedis(api.config("cache"))) {
            assertEquals("hello", j.get("greeting"));
        }
    }

    /** The serial of the certificate a TLS node serves now; the chain is only looked at. */
    static java.math.BigInteger served(String host, int port) {
        try (java.net.Socket plain = new java.net.Socket(host, port)) {
            return TestCluster.servedCertificate(plain, host, port);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(3)
    void certificatesNearTheirEndAreReissuedAndTakenWithoutCuttingAnOpenConnection() throws Exception {
        ClusterKeys keys = keys("cache-kv");
        var entry = grid.store.get(keys.secrets()).orElseThrow();
        Map<String, String> ending = new java.util.LinkedHashMap<>(Clusters.secrets(grid.store, keys));
        var server = dev.grid.appliance.ClusterCa.of(grid.store).issue(keys.service(), true, List.of("127.0.0.1"), Duration.ofDays(30));
        ending.put(Clusters.TLS_SERVER_CERT, server.certPem());
        ending.put(Clusters.TLS_SERVER_KEY, server.keyPem());
        try (Jedis open = jedis(api.config("cache"), 10_000)) {
            assertEquals("PONG", open.ping());
            assertTrue(grid.store.txn().ifUnchanged(keys.secrets(), entry.modRevision()).put(keys.secrets(), ending).commit());
            String renewed = Eventually.await("the controller re-issues them", Duration.ofSeconds(45),
                    () -> Clusters.secrets(grid.store, keys).get(Clusters.TLS_SERVER_CERT), pem -> !pem.equals(server.certPem()));
            java.math.BigInteger serial = dev.grid.appliance.ClusterCa.certificate(renewed).getSerialNumber();
            for (NodeReport n : Clusters.reports(grid.store, keys).values()) {
                Eventually.await(n.id() + " serves the new certificate", Duration.ofSeconds(30), () -> served(n.address(), n.port()), serial::equals);
            }
            assertEquals("PONG", open.ping(), "a connection opened before is not cut");
            assertEquals(1, open.waitReplicas(1, 5000), "nor is replication");
        }
        try (Jedis j = jedis(api.config("cache"))) {
            assertEquals("hello", j.get("greeting"), "a new one checks the new certificate against the same CA");
        }
    }

    @Test
    @Order(3)
    void aNodesDataSurvivesItsRestartFromItsVolume() {
        Map<String, String> other = api.config("other");
        try (Jedis j = jedis(other)) {
            for (int i = 0; i < 100; i++) j.set("k" + i, "v" + i);
        }
        Eventually.sleep(1500); // appendfsync everysec
        grid.docker.kill(container("other-kv", "n0").id());
        String back = Eventually.await("the single node back from its volume", Duration.ofSeconds(60), () -> {
            try (Jedis j = jedis(other)) {
                return j.get("k99");
            } catch (JedisException e) {
                return "unreachable: " + e.getMessage();
            }
        }, v -> "v99".equals(v));
        assertEquals("v99", back);
        try (Jedis j = jedis(other)) {
            assertEquals(100, j.dbSize());
        }
    }

    @Test
    @Order(4)
    void failoverKeepsEveryWaitConfirmedWriteAndTheOldPrimaryRejoins() throws Exception {
        Map<String, String> env = api.config("cache");
        Set<Long> confirmed = ConcurrentHashMap.newKeySet();
        AtomicLong lastWrite = new AtomicLong();
        AtomicReference<String> lastServer = new AtomicReference<>("");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        Thread writer = new Thread(() -> {
            long i = 0;
            Jedis j = null;
            String server = null;
            while (writing.get()) {
                long next = ++i;
                try {
                    if (j == null) {
                        j = jedis(env, 2000);
                        server = address(j);
                    }
                    j.set("w:" + next, String.valueOf(next));
                    lastServer.set(server);
                    lastWrite.set(System.nanoTime());
                    if (j.waitReplicas(1, 1000) >= 1) confirmed.add(next);
                } catch (JedisException e) {
                    failures.incrementAndGet();
                    if (j != null) j.close();
                    j = null;
                    Eventually.sleep(50);
                }
            }
            if (j != null) j.close();
        }, "redis-writer");
        writer.start();
        List<Long> millis = new ArrayList<>();
        double failoversBefore = dev.grid.testing.Scrape.sum(grid.metrics.scrape(), "grid_appliance_failovers_total", "appliance", "redis");
        try {
            for (int round = 1; round <= CHAOS_ROUNDS; round++) {
                // Only a sync the primary confirmed caught up is promoted: one that is still catching up is waited for.
                ClusterState before = Eventually.await("a caught-up sync before round " + round, Duration.ofSeconds(60), () -> state("cache-kv"),
                        s -> s != null && s.sync() != null && s.syncReady());
                Eventually.await("writes flowing", Duration.ofSeconds(10), () -> System.nanoTime() - lastWrite.get() < 500_000_000L, ok -> ok);
                String victim = before.primary();
                String victimAddress = Clusters.reports(grid.store, keys("cache-kv")).get(victim).address();
                grid.docker.kill(container("cache-kv", victim).id());
                long killed = System.nanoTime();
                Eventually.await("a write on another node than " + victim, Duration.ofSeconds(60),
                        () -> lastWrite.get() > killed && !lastServer.get().equals(victimAddress), ok -> ok);
                long ms = (lastWrite.get() - killed) / 1_000_000;
                millis.add(ms);
                System.out.printf("BENCH redis failover round %d: %s -> %s, first write %d ms after the kill%n", round, victim, state("cache-kv").primary(), ms);
                Eventually.await(victim + " rejoined as a replica", Duration.ofSeconds(60),
                        () -> Clusters.reports(grid.store, keys("cache-kv")).get(victim), r -> r != null && r.isReplicaOf(state("cache-kv").primary()));
            }
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
        List<Long> lost = new ArrayList<>();
        try (Jedis j = jedis(env)) {
            for (long k : confirmed) if (j.get("w:" + k) == null) lost.add(k);
        }
        assertTrue(confirmed.size() > 100, "writes were confirmed: " + confirmed.size());
        assertEquals(List.of(), lost, "WAIT-confirmed writes lost (of " + confirmed.size() + ")");
        assertEquals(failoversBefore + CHAOS_ROUNDS, dev.grid.testing.Scrape.sum(grid.metrics.scrape(), "grid_appliance_failovers_total", "appliance", "redis"),
                "each failover is counted once");
        millis.sort(Long::compare);
        System.out.printf("BENCH redis failover: %d rounds, %d writes confirmed by WAIT 1, %d failed attempts, kill-to-write median %d ms, max %d ms%n",
                millis.size(), confirmed.size(), failures.get(), millis.get(millis.size() / 2), millis.get(millis.size() - 1));
    }

    /** A setting as a node has it, asked as the keeper's user (the app's may not run CONFIG). */
    String nodeSetting(String addon, NodeReport node, String name) {
        String password = Clusters.secrets(grid.store, keys(addon)).get("KEEPER_PASSWORD");
        try (Jedis j = new Jedis(new redis.clients.jedis.HostAndPort(node.address(), node.port()), tlsConfig(api.config("cache"), 2000, false))) {
            j.auth("grid-keeper", password);
            return j.configGet(name).get(name);
        } catch (JedisException e) {
            return node + ": " + e.getMessage();
        }
    }

    /** The host PID of the keeper (the JVM) in a node's container. */
    static String keeperPid(Container c) throws Exception {
        Process p = new ProcessBuilder("docker", "top", c.id(), "-eo", "pid,comm").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().map(String::strip).filter(l -> l.endsWith(" java")).map(l -> l.split("\\s+")[0]).findFirst()
                .orElseThrow(() -> new AssertionError("no keeper in " + out));
    }

    static void signal(String signal, String pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, pid).start().waitFor(), "kill -" + signal + " " + pid);
    }

    @Test
    @Order(4)
    void aPausedPrimaryKeepersWatchdogFencesItsNodeSoNoWriteItTakesIsAcknowledgedAndAShortPauseChangesNothing() throws Exception {
        Map<String, String> env = api.config("cache");
        ClusterState before = Eventually.await("a replica attached", Duration.ofSeconds(60), () -> state("cache-kv"),
                s -> s != null && s.sync() != null && Clusters.reports(grid.store, keys("cache-kv")).values().stream().anyMatch(r -> r.isReplicaOf(s.primary())));
        String primary = before.primary();
        String replica = before.sync();
        NodeReport node = Clusters.reports(grid.store, keys("cache-kv")).get(primary);
        String pid = keeperPid(container("cache-kv", primary));
        String replicaPid = keeperPid(container("cache-kv", replica));
        // A client on the primary itself, as one connected before a failover stays.
        try (Jedis direct = new Jedis(new redis.clients.jedis.HostAndPort(node.address(), node.port()), tlsConfig(env, 1000, false))) {
            direct.auth(env.get("REDIS_PASSWORD"));
            try {
                signal("STOP", pid);
                Eventually.sleep(700);
                signal("CONT", pid);
                Eventually.sleep(3000);
                assertEquals(before.generation(), state("cache-kv").generation(), "a pause shorter than the deadline: no failover");
                assertEquals("OK", direct.set("short-pause", "1"), "and no fence left behind");

                // Both keepers paused, the replica's first and until its report is gone: then no node can be promoted,
                // and without a fence the primary would take the write. Its watchdog has paused writes.
                signal("STOP", replicaPid);
                Eventually.await(replica + "'s report gone", Duration.ofSeconds(10),
                        () -> Clusters.reports(grid.store, keys("cache-kv")).containsKey(replica), present -> !present);
                signal("STOP", pid);
                Eventually.sleep(Watchdog.DEADLINE_MILLIS + 1000);
                JedisException held = assertThrows(JedisException.class, () -> direct.set("held", "1"), "past the deadline the node takes no write");
                assertTrue(held.getCause() instanceof java.net.SocketTimeoutException, "held by the fence, not refused for another reason: " + held);
                // The primary's keeper first (the replica's reporting alone would look like a lost primary: #10's no-flap work).
                signal("CONT", pid);
                Eventually.await(primary + " reporting again", Duration.ofSeconds(10),
                        () -> Clusters.reports(grid.store, keys("cache-kv")).get(primary), r -> r != null && r.isWritablePrimary());
            } finally {
                signal("CONT", pid);
                signal("CONT", replicaPid);
            }
        }
        // The leases ran out meanwhile: the route has the primary again once its keeper re-registers.
        Eventually.await("the keeper lifts the fence", Duration.ofSeconds(20), () -> {
            try (Jedis j = jedis(env)) {
                return j.set("after-the-fence", "1") + " " + j.waitReplicas(1, 5000);
            } catch (JedisException e) {
                return e.getMessage();
            }
        }, "OK 1"::equals);
        assertEquals(primary, state("cache-kv").primary(), "the keepers came back: the same primary, no failover");

        // The primary's keeper alone paused: a failover, and the deposed node took no write meanwhile.
        ClusterState now = state("cache-kv");
        try (Jedis direct = new Jedis(new redis.clients.jedis.HostAndPort(node.address(), node.port()), tlsConfig(env, 1000, false))) {
            direct.auth(env.get("REDIS_PASSWORD"));
            try {
                signal("STOP", pid);
                Eventually.sleep(Watchdog.DEADLINE_MILLIS + 800);
                assertThrows(JedisException.class, () -> direct.set("fenced", "taken?"), "not acknowledged");
                Eventually.await("a failover to another node", Duration.ofSeconds(30), () -> state("cache-kv"),
                        s -> s.generation() > now.generation() && !primary.equals(s.primary()));
            } finally {
                signal("CONT", pid);
            }
        }
        Eventually.await(primary + " rejoined as a replica", Duration.ofSeconds(60),
                () -> Clusters.reports(grid.store, keys("cache-kv")).get(primary), r -> r != null && r.isReplicaOf(state("cache-kv").primary()));
        try (Jedis j = jedis(env)) {
            assertEquals(null, j.get("fenced"), "the deposed node's write was never taken");
            assertEquals("1", j.get("short-pause"));
            assertEquals(1, j.waitReplicas(1, 5000), "the old primary replicates again");
        }
    }

    @Test
    @Order(5)
    void theOwnersSettingsActOnEveryNodeAndOutliveARestartWhileTheAppsUserStillCannotChangeThem() throws Exception {
        Map<String, String> env = api.config("cache");
        var r = api.cli("redis:maxmemory", "-a", "cache", "--policy", "allkeys-lru", "--size", "4mb");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("maxmemory-policy allkeys-lru"), r.out());
        assertEquals(0, api.cli("redis:timeout", "-a", "cache", "--seconds", "1").exitCode());
        assertEquals(0, api.cli("redis:keyspace-notifications", "-a", "cache", "--config", "E$").exitCode());
        for (NodeReport n : Clusters.reports(grid.store, keys("cache-kv")).values()) {
            // Each command is its own settings write: wait for the last of them, not only the first.
            Eventually.await(n.id() + " has the policy", Duration.ofSeconds(10), () -> nodeSetting("cache-kv", n, "maxmemory-policy"), "allkeys-lru"::equals);
            Eventually.await(n.id() + " has the timeout", Duration.ofSeconds(10), () -> nodeSetting("cache-kv", n, "timeout"), "1"::equals);
            Eventually.await(n.id() + " announces keyevents", Duration.ofSeconds(10), () -> nodeSetting("cache-kv", n, "notify-keyspace-events"),
                    v -> v.contains("E") && v.contains("$"));
        }
        // maxmemory with allkeys-lru: 8 MB of writes into 4 MB all succeed, and keys are evicted.
        String value = "x".repeat(10_000);
        try (Jedis j = jedis(env)) {
            j.flushDB();
            for (int i = 0; i < 800; i++) assertEquals("OK", j.set("big:" + i, value));
            long kept = j.dbSize();
            assertTrue(kept > 0 && kept < 800, "keys evicted to stay under 4 MB: " + kept + " of 800 kept");
        }
        // keyspace notifications: a SET publishes its event.
        java.util.concurrent.BlockingQueue<String> events = new java.util.concurrent.LinkedBlockingQueue<>();
        redis.clients.jedis.JedisPubSub listener = new redis.clients.jedis.JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                events.add(channel + " " + message);
            }
        };
        Thread subscriber = new Thread(() -> {
            try (Jedis j = jedis(env)) {
                j.subscribe(listener, "__keyevent@0__:set");
            } catch (JedisException e) {
                events.add("failed: " + e.getMessage());
            }
        });
        subscriber.start();
        Eventually.await("subscribed", Duration.ofSeconds(10), listener::isSubscribed, ok -> ok);
        try (Jedis j = jedis(env)) {
            j.set("announced", "1");
        }
        assertEquals("__keyevent@0__:set announced", events.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        listener.unsubscribe();
        subscriber.join(5000);
        // timeout: an idle connection is closed.
        try (Jedis idle = jedis(env)) {
            assertEquals("PONG", idle.ping());
            Eventually.sleep(3000);
            assertThrows(JedisException.class, idle::ping, "closed after a second idle");
        }
        // The app's user still may not change any of it itself.
        try (Jedis j = jedis(env)) {
            JedisException e = assertThrows(JedisException.class, () -> j.configSet("maxmemory-policy", "noeviction"));
            assertTrue(e.getMessage().startsWith("NOPERM"), e.getMessage());
        }
        // A node started again (a new keeper) starts with them.
        ClusterState s = state("cache-kv");
        String replica = s.sync();
        String killed = Clusters.reports(grid.store, keys("cache-kv")).get(replica).incarnation();
        grid.docker.kill(container("cache-kv", replica).id());
        NodeReport back = Eventually.await(replica + " back as a replica", Duration.ofSeconds(60),
                () -> Clusters.reports(grid.store, keys("cache-kv")).get(replica),
                n -> n != null && !n.incarnation().equals(killed) && n.isReplicaOf(state("cache-kv").primary()));
        assertEquals("allkeys-lru", nodeSetting("cache-kv", back, "maxmemory-policy"));
        assertEquals("1", nodeSetting("cache-kv", back, "timeout"));
        assertTrue(api.cli("redis:info", "-a", "cache").out().contains("timeout 1"), "redis:info shows the settings");
        // noeviction, the default: past maxmemory a write is refused rather than anything evicted.
        assertEquals(0, api.cli("redis:maxmemory", "-a", "cache", "--policy", "noeviction").exitCode());
        Eventually.await("the primary refuses writes past maxmemory", Duration.ofSeconds(10), () -> {
            try (Jedis j = jedis(env)) {
                for (int i = 0; i < 800; i++) j.set("more:" + i, value);
                return "accepted";
            } catch (JedisException e) {
                return e.getMessage();
            }
        }, m -> m.startsWith("OOM"));
        // Back to the defaults for the tests after this one.
        assertEquals(0, api.cli("redis:maxmemory", "-a", "cache", "--policy", "noeviction", "--size", "0").exitCode());
        assertEquals(0, api.cli("redis:timeout", "-a", "cache", "--seconds", "0").exitCode());
        assertEquals(0, api.cli("redis:keyspace-notifications", "-a", "cache", "--config", "").exitCode());
        try (Jedis j = jedis(env)) {
            Eventually.await("writes accepted again", Duration.ofSeconds(10), () -> {
                try {
                    return j.set("after", "1");
                } catch (JedisException e) {
                    return e.getMessage();
                }
            }, "OK"::equals);
            j.flushDB();
        }
    }

    @Test
    @Order(6)
    void badInputIsRefusedWithAReasonAndChangesNothing() {
        var before = api.ok("GET", "/addons", null);
        Map<String, String> settings = Clusters.settings(grid.store, keys("cache-kv"));
        record Bad(String[] args, String says) {}
        for (Bad b : List.of(
                new Bad(new String[] {"addons:create", "redis", "--replicas", "9"}, "invalid replicas '9': use 0-4"),
                new Bad(new String[] {"addons:create", "redis", "--option", "replicas=x"}, "invalid replicas 'x'"),
                new Bad(new String[] {"addons:create", "redis", "--option", "maxmemory=1gb"}, "redis has no option 'maxmemory'"),
                new Bad(new String[] {"addons:create", "redis", "--name", "a-very-long-redis-addon-name"}, "at most 19 characters"),
                new Bad(new String[] {"addons:create", "postgres", "--replicas", "2"}, "postgres has no option 'replicas'"),
                new Bad(new String[] {"redis:info", "-a", "nope"}, "no app named 'nope'"),
                new Bad(new String[] {"addons:destroy", "cache-kv"}, "confirm with --confirm cache-kv"),
                new Bad(new String[] {"redis:maxmemory", "-a", "cache", "--policy", "lru"}, "invalid maxmemory policy 'lru': use one of noeviction"),
                new Bad(new String[] {"redis:maxmemory", "-a", "cache", "--policy", "allkeys-lru", "--size", "1gb"}, "a node has 128 MB in all"),
                new Bad(new String[] {"redis:maxmemory", "-a", "cache"}, "name a --policy"),
                new Bad(new String[] {"redis:timeout", "-a", "cache", "--seconds", "soon"}, "invalid timeout 'soon'"),
                new Bad(new String[] {"redis:keyspace-notifications", "-a", "cache", "--config", "Q"}, "'Q' is no event class"),
                new Bad(new String[] {"redis:timeout", "-a", "nope", "--seconds", "1"}, "no app named 'nope'"))) {
            var r = api.cli(b.args());
            assertNotEquals(0, r.exitCode(), String.join(" ", b.args()));
            assertTrue(r.err().contains(b.says()), String.join(" ", b.args()) + " says: " + r.err());
        }
        assertEquals(before, api.ok("GET", "/addons", null));
        assertEquals(settings, Clusters.settings(grid.store, keys("cache-kv")), "no refused setting was kept");
        assertTrue(grid.store.list(ClusterKeys.appliance("redis")).entries().stream().noneMatch(e -> e.key().contains("redis-")),
                "no cluster was made for a refused add-on");
    }

    @Test
    @Order(7)
    void destroyRemovesTheClusterItsRouteAndItsVolumes() {
        Map<String, String> other = api.config("other");
        var r = api.cli("addons:destroy", "other-kv", "--confirm", "other-kv");
        assertEquals(0, r.exitCode(), r.err());
        Eventually.await("other-kv's volume removed from its host", Duration.ofSeconds(30),
                () -> grid.docker.list(Map.of("grid.app", keys("other-kv").app())).size()
                        + volumes(keys("other-kv").app()), n -> n == 0);
        assertThrows(JedisException.class, () -> {
            try (Jedis j = new Jedis(other.get("REDIS_HOST"), Integer.parseInt(other.get("REDIS_PORT")), 1000)) {
                j.ping();
            }
        }, "the route is gone");
    }

    int volumes(String app) {
        return grid.docker.volumes(Map.of("grid.app", app)).size();
    }
}
