package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.host.Docker;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A new Grid reaches the data nodes an earlier one made: its keeper, one node at a time, while
 * the add-on serves. The earlier Grid here is the same code with other keeper JVM options (so
 * another keeper program), and a Redis cluster made as before issue 12: one password for
 * everyone, the app's user allowed every admin command.
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(OwnServer.LOCK)
class KeeperUpgradeTest {
    /**
     * Between two writes: hundreds a second still show a lost one, and the writers leave the two
     * cores to the tests that run beside this one (flat out they took one core for a minute).
     */
    static final long WRITE_PAUSE_MILLIS = 2;

    @Test
    void anEarlierGridsRedisGetsThisGridsKeeperNodeByNodeAndLosesNoConfirmedWrite() throws Exception {
        OwnServer own = new OwnServer("upg", "127.0.0.5", "25100-25199", "32010-32019");
        Docker docker = new Docker(Docker.DEFAULT_HOST);
        GridServer server = own.start();
        try (Store store = own.store()) {
            TestApi api = own.api();
            Map<String, String> env = appWithAddon(api, "up", "redis", "--replicas", "2", "--name", "up-kv");
            ClusterKeys keys = new ClusterKeys("redis", "up-kv");
            List<String> members = List.of("n0", "n1", "n2");

            // As an earlier Grid made it: no users but the app's, whose password signs everyone in.
            Map<String, String> secrets = new LinkedHashMap<>(Clusters.secrets(store, keys));
            secrets.remove("KEEPER_PASSWORD");
            secrets.remove("REPLICA_PASSWORD");
            store.put(keys.secrets(), secrets);
            restartEach(store, docker, own.hostId, keys, members);
            String newPrimary = TestCluster.awaitWhole(store, keys, members);
            NodeReport p = Clusters.reports(store, keys).get(newPrimary);
            try (Jedis app = node(p, env)) {
                assertEquals("yes", app.configGet("appendonly").get("appendonly"), "the app's user runs CONFIG on such a cluster: the hole issue 12 closes");
            }
            String oldProgram = p.program();
            assertNotNull(oldProgram, "this Grid's keepers say which program they run");

            // An upgrade: stopped for a restart (the workloads run on), started with a new keeper.
            server.stop(false);
            own.env.put("GRID_KEEPER_JAVA_OPTS", "-Xss600k");
            server = own.start();

            Roll roll = Roll.watch(store, docker, own.hostId, keys, members, oldProgram, "Redis", (confirmed, stop, failed) -> {
                for (int i = 0; !stop.get(); i++) {
                    try (Jedis j = new Jedis(URI.create(env.get("REDIS_URL")), RedisApplianceTest.tlsConfig(env, 2000))) {
                        for (; !stop.get(); i++) {
                            j.set("w" + i, String.valueOf(i));
                            if (j.waitReplicas(1, 1000) >= 1) confirmed.add(i);
                            Eventually.sleep(WRITE_PAUSE_MILLIS);
                        }
                    } catch (JedisException e) {
                        failed.accept(e);
                        Eventually.sleep(50);
                    }
                }
            }, () -> Clusters.secrets(store, keys).containsKey("TLS_CA"));
            roll.assertOneAtATimePrimaryLast(api, keys, members);
            List<Integer> confirmed = roll.confirmed;
            // Nothing confirmed was lost, and the app's user lost the admin commands.
            assertTrue(confirmed.size() > 10, "writes went on during the upgrade: " + confirmed.size() + "; the writer's failures: " + roll.failures);
            try (Jedis j = new Jedis(URI.create(env.get("REDIS_URL")), RedisApplianceTest.tlsConfig(env, 2000))) {
                List<Integer> lost = new ArrayList<>();
                for (int i : confirmed) if (!String.valueOf(i).equals(j.get("w" + i))) lost.add(i);
                assertEquals(List.of(), lost, "every write WAIT 1 confirmed is there");
                JedisException e = assertThrows(JedisException.class, () -> j.configSet("appendonly", "no"));
                assertTrue(e.getMessage().startsWith("NOPERM"), e.getMessage());
            }
            Map<String, String> after = Clusters.secrets(store, keys);
            assertTrue(after.containsKey("KEEPER_PASSWORD") && after.containsKey("REPLICA_PASSWORD"), "the cluster has the users now");
            assertNotEquals(secrets.get("PASSWORD"), after.get("KEEPER_PASSWORD"));
            assertEquals(env.get("REDIS_URL"), api.config("up").get("REDIS_URL"), "the app's URL did not change (certificates, but one host: no TLS)");
            String program = Clusters.reports(store, keys).get("n0").program();
            String info = api.cli("addons:info", "up-kv").out();
            assertEquals(3, info.split(program, -1).length - 1, "addons:info shows each node's keeper: " + info);
            assertTrue(!info.contains("keeper upgrade:"), "and no upgrade under way: " + info);
        } finally {
            server.close();
            own.cleanUp();
        }
    }

    @Test
    void anEarlierGridsPostgresGetsThisGridsKeeperNodeByNodeThenCertificatesAndLosesNoCommit() throws Exception {
        OwnServer own = new OwnServer("upp", "127.0.0.6", "25200-25299", "32020-32029");
        Docker docker = new Docker(Docker.DEFAULT_HOST);
        GridServer server = own.start();
        try (Store store = own.store()) {
            TestApi api = own.api();
            Map<String, String> env = appWithAddon(api, "shop", "postgres");
            ClusterKeys keys = new ClusterKeys("postgres", "main");
            List<String> members = List.of("n0", "n1", "n2");
            TestCluster.awaitWhole(store, keys, members);
            try (var c = java.sql.DriverManager.getConnection(env.get("JDBC_DATABASE_URL")); var st = c.createStatement()) {
                st.execute("CREATE TABLE kept (v int)");
            }

            // As an earlier Grid made it: no certificates, so its superuser signs in by password alone, from anywhere.
            Map<String, String> secrets = new LinkedHashMap<>(Clusters.secrets(store, keys));
            secrets.keySet().removeIf(k -> k.startsWith("TLS_"));
            store.put(keys.secrets(), secrets);
            restartEach(store, docker, own.hostId, keys, members);
            String primary = TestCluster.awaitWhole(store, keys, members);
            NodeReport p = Clusters.reports(store, keys).get(primary);
            assertEquals("on", superuserByPassword(p, secrets), "the hole: an earlier Grid's superuser needs only its password");
            String oldProgram = p.program();

            server.stop(false);
            own.env.put("GRID_KEEPER_JAVA_OPTS", "-Xss600k");
            server = own.start();
            Roll roll = Roll.watch(store, docker, own.hostId, keys, members, oldProgram, "Postgres", (confirmed, stop, failed) -> {
                for (int i = 0; !stop.get(); i++) {
                    try (var c = java.sql.DriverManager.getConnection(env.get("JDBC_DATABASE_URL") + "&connectTimeout=2&socketTimeout=10");
                         var insert = c.prepareStatement("INSERT INTO kept VALUES (?)")) {
                        for (; !stop.get(); i++) {
                            insert.setInt(1, i);
                            insert.executeUpdate(); // autocommit: acknowledged once it returns
                            confirmed.add(i);
                            Eventually.sleep(WRITE_PAUSE_MILLIS);
                        }
                    } catch (java.sql.SQLException e) {
                        failed.accept(e);
                        Eventually.sleep(50);
                    }
                }
            }, () -> Clusters.secrets(store, keys).containsKey("TLS_CA") && replicationOverTls(store, docker, keys) == members.size() - 1);
            roll.assertOneAtATimePrimaryLast(api, keys, members);
            assertTrue(roll.confirmed.size() > 10, "commits went on during the upgrade: " + roll.confirmed.size() + "; the writer's failures: " + roll.failures);
            try (var c = java.sql.DriverManager.getConnection(env.get("JDBC_DATABASE_URL")); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT v FROM kept")) {
                Set<Integer> there = new java.util.HashSet<>();
                while (rs.next()) there.add(rs.getInt(1));
                List<Integer> lost = roll.confirmed.stream().filter(i -> !there.contains(i)).toList();
                assertEquals(List.of(), lost, "every acknowledged commit is there");
            }
            // Today's rules, live: the superuser's password alone opens nothing now.
            NodeReport now = Clusters.reports(store, keys).get(Clusters.state(store, keys).orElseThrow().primary());
            String refused = superuserByPassword(now, secrets);
            assertTrue(refused.contains("pg_hba.conf rejects") || refused.contains("certificate"), refused);
        } finally {
            server.close();
            own.cleanUp();
        }
    }

    /** A new app with a new add-on of {@code addon} (and its options) attached; the app's config. */
    private static Map<String, String> appWithAddon(TestApi api, String app, String... addon) {
        assertEquals(0, api.cli("apps:create", app).exitCode());
        List<String> args = new ArrayList<>(List.of("addons:create", addon[0], "-a", app));
        args.addAll(List.of(addon).subList(1, addon.length));
        var made = api.cli(args.toArray(String[]::new));
        assertEquals(0, made.exitCode(), made.err());
        return api.config(app);
    }

    /** Restarts each member's container, replicas first, each back (a new keeper process) before the next. */
    private static void restartEach(Store store, Docker docker, String hostId, ClusterKeys keys, List<String> members) {
        String primary = Clusters.state(store, keys).orElseThrow().primary();
        List<String> order = new ArrayList<>(members);
        order.remove(primary);
        order.add(primary);
        for (String m : order) {
            String before = Clusters.reports(store, keys).get(m).incarnation();
            docker.kill(container(docker, hostId, keys, m));
            Eventually.await(m + " back as an earlier Grid made it", Duration.ofSeconds(60), () -> Clusters.reports(store, keys).get(m),
                    r -> r != null && r.healthy() && !r.incarnation().equals(before));
        }
    }

    /** The superuser's sign-in with its password alone (TLS if offered, no certificate): "on" (its ssl setting) or why not. */
    private static String superuserByPassword(NodeReport node, Map<String, String> secrets) {
        var props = new java.util.Properties();
        props.setProperty("user", "grid");
        props.setProperty("password", secrets.get("SUPERUSER_PASSWORD"));
        props.setProperty("sslmode", "prefer");
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + node.address() + ":" + node.port() + "/postgres", props);
             var st = c.createStatement(); var rs = st.executeQuery("SELECT 'on'")) {
            rs.next();
            return rs.getString(1);
        } catch (java.sql.SQLException e) {
            return e.getMessage();
        }
    }

    /** How many replicas stream from the primary over TLS, asked over the primary's own socket. */
    private static int replicationOverTls(Store store, Docker docker, ClusterKeys keys) {
        var state = Clusters.state(store, keys).orElse(null);
        NodeReport p = state == null ? null : Clusters.reports(store, keys).get(state.primary());
        if (p == null) return -1;
        String out = TestCluster.nodeSql(docker, keys, p, "SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE s.ssl");
        return out.matches("\\d+") ? Integer.parseInt(out) : -1;
    }

    /** A rolling upgrade watched from start to end: the writes it confirmed, the most nodes down at once, each node's containers. */
    static final class Roll {
        final List<Integer> confirmed = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger mostDown = new AtomicInteger();
        final Map<String, Set<String>> containers = new ConcurrentHashMap<>();
        /** The writer's failures by message, so that an assertion on the writes can say why they stopped. */
        final Map<String, Failure> failures = new ConcurrentHashMap<>();

        record Failure(java.time.LocalTime first, AtomicInteger times) {
            @Override
            public String toString() {
                return "first at " + first + ", " + times + " times";
            }
        }

        void failed(Exception e) {
            String what = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
            failures.computeIfAbsent(what, k -> new Failure(java.time.LocalTime.now(), new AtomicInteger())).times().incrementAndGet();
        }

        interface Writer {
            void write(List<Integer> confirmed, AtomicBoolean stop, java.util.function.Consumer<Exception> failed);
        }

        /** Runs {@code writer} and a sampler until every member reports a program other than {@code oldProgram}, and the cluster is whole. */
        static Roll watch(Store store, Docker docker, String hostId, ClusterKeys keys, List<String> members, String oldProgram, String what,
                          Writer writer) throws InterruptedException {
            return watch(store, docker, hostId, keys, members, oldProgram, what, writer, () -> true);
        }

        /** As above, also until {@code alsoDone}. */
        static Roll watch(Store store, Docker docker, String hostId, ClusterKeys keys, List<String> members, String oldProgram, String what,
                          Writer writer, java.util.function.BooleanSupplier alsoDone) throws InterruptedException {
            Roll roll = new Roll();
            AtomicBoolean done = new AtomicBoolean();
            Thread w = new Thread(() -> writer.write(roll.confirmed, done, roll::failed), "writer");
            Thread sampler = new Thread(() -> {
                while (!done.get()) {
                    Map<String, NodeReport> r = Clusters.reports(store, keys);
                    int down = (int) members.stream().filter(m -> r.get(m) == null || !r.get(m).healthy()).count();
                    roll.mostDown.accumulateAndGet(down, Math::max);
                    // Running ones: a container that died before the upgrade (restartEach's) may still be listed for a while.
                    for (var c : docker.list(Map.of("grid.app", keys.app(), "grid.host", hostId))) {
                        if (!c.running()) continue;
                        roll.containers.computeIfAbsent(c.labels().get("grid.type"), t -> new TreeSet<>()).add(c.id());
                    }
                    Eventually.sleep(100);
                }
            }, "sampler");
            w.start();
            sampler.start();
            long t0 = System.nanoTime();
            try {
                Eventually.await("every node on the new keeper", Duration.ofSeconds(240), () -> Clusters.reports(store, keys),
                        r -> members.stream().allMatch(m -> r.get(m) != null && r.get(m).healthy() && r.get(m).program() != null
                                && !r.get(m).program().equals(oldProgram)));
                Eventually.await("the rest of the upgrade", Duration.ofSeconds(60), alsoDone::getAsBoolean, ok -> ok);
                TestCluster.awaitWhole(store, keys, members);
            } finally {
                done.set(true);
                w.join(15_000);
                sampler.join(10_000);
            }
            System.out.printf("BENCH keeper upgrade (%s, %d nodes, one at a time): %d ms, %d writes acknowledged meanwhile%n",
                    what, members.size(), (System.nanoTime() - t0) / 1_000_000, roll.confirmed.size());
            return roll;
        }

        /** One node down at most, each restarted once, by one release each, the primary of the start last. */
        void assertOneAtATimePrimaryLast(TestApi api, ClusterKeys keys, List<String> members) {
            // At most one: a node restarted within its keeper's lease is never seen without a report.
            assertTrue(mostDown.get() <= 1, "one node at a time, never two: " + mostDown.get() + " were down at once");
            for (String m : members) assertEquals(2, containers.get(m).size(), m + " restarted exactly once: " + containers);
            List<JsonNode> upgrades = new ArrayList<>();
            for (JsonNode rel : api.ok("GET", "/apps/" + keys.app() + "/releases", null)) {
                if (rel.path("description").asText().startsWith("Upgrade the keeper of ")) upgrades.add(rel);
            }
            upgrades.sort(java.util.Comparator.comparingInt(r -> r.path("version").asInt()));
            List<String> order = upgrades.stream().map(r -> r.path("description").asText().substring("Upgrade the keeper of ".length())).toList();
            assertEquals(members.size(), order.size(), "one release per node: " + order);
            assertEquals(new TreeSet<>(members), new TreeSet<>(order.stream().map(o -> o.substring(0, 2)).toList()), "each node once: " + order);
            for (int i = 0; i < order.size(); i++) {
                assertEquals(i == order.size() - 1, order.get(i).contains("(the primary)"), "the replicas first, the primary last: " + order);
            }
        }
    }

    /** The app's user, straight to a node. */
    private static Jedis node(NodeReport n, Map<String, String> env) {
        Jedis j = new Jedis(new HostAndPort(n.address(), n.port()), RedisApplianceTest.tlsConfig(env, 2000, false));
        j.auth("default", env.get("REDIS_PASSWORD"));
        return j;
    }

    private static String container(Docker docker, String hostId, ClusterKeys keys, String node) {
        Map<String, String> labels = new HashMap<>(Map.of("grid.app", keys.app(), "grid.type", node, "grid.host", hostId));
        return docker.list(labels).stream().filter(c -> c.running()).findFirst()
                .orElseThrow(() -> new AssertionError("no running container for " + node)).id();
    }
}
