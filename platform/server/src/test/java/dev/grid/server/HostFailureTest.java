package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.host.Docker.Container;
import dev.grid.host.HostAgent;
import dev.grid.testing.Eventually;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A Postgres cluster of three nodes loses whole hosts (the host agent stopped, its containers
 * killed) under a JDBC write load, in two layouts ({@link HostFailureTwoHostsTest}, {@link HostFailureThreeHostsTest}). After
 * each loss writes resume, and no acknowledged write is lost; the host then comes back, and its
 * nodes rejoin. The control plane (etcd, controller, scheduler, managers) is on no host: its own
 * availability is another matter (docs/appliances.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HostFailureTest {
    static final ClusterKeys KEYS = new ClusterKeys("postgres", "main");
    /** GRID_NODE_REPLACE_AFTER here: a primary left alone gets a node made again after this long. */
    static final Duration REPLACE_AFTER = Duration.ofSeconds(5);
    TestCluster grid;
    final Map<String, HostAgent> agents = new HashMap<>();
    final Map<String, String> addresses = new HashMap<>();

    /** How many hosts the nodes spread over. */
    abstract int hosts();

    /** Which hosts to lose, in turn: "sync" (the sync's host, which holds no primary), "primary". */
    abstract List<String> losses();

    @BeforeAll
    void start() {
        grid = new TestCluster(4, REPLACE_AFTER);
        List<HostAgent> started = grid.startHosts(hosts());
        for (int i = 0; i < hosts(); i++) {
            String name = String.valueOf((char) ('a' + i));
            agents.put(name, started.get(i));
            addresses.put(name, "127.0.0." + (2 + i));
        }
    }

    @AfterAll
    void stop() {
        grid.close();
    }

    ClusterState state() {
        return Clusters.state(grid.store, KEYS).orElseThrow();
    }

    /** The test's name (a, b, c) of the host each node's job is on. */
    Map<String, String> hostsOfNodes() {
        Map<String, String> out = new HashMap<>();
        for (var j : grid.api.jobs(KEYS.app())) {
            String hostId = j.path("hostId").asText();
            out.put(j.path("type").asText(), hostId.substring(hostId.lastIndexOf('-') + 1));
        }
        return out;
    }

    /** Every node reports in the current generation, streaming from the primary; the sync caught up, on another host than the primary. */
    boolean settled() {
        ClusterState s = state();
        if (!s.syncReady() || !s.deposed().isEmpty() || s.sync() == null) return false;
        Map<String, NodeReport> r = Clusters.reports(grid.store, KEYS);
        for (String n : List.of("n0", "n1", "n2")) {
            NodeReport nr = r.get(n);
            if (nr == null || nr.generation() != s.generation()) return false;
            if (!n.equals(s.primary()) && !nr.isReplicaOf(s.primary())) return false;
        }
        Map<String, String> on = hostsOfNodes();
        return !on.get(s.primary()).equals(on.get(s.sync()));
    }

    record Ack(int id, long atMillis) {}

    @Test
    void losingAnyOneHostLosesNoAcknowledgedWriteAndWritesResume() throws Exception {
        assertEquals(0, grid.api.cli("apps:create", "shop").exitCode());
        var created = grid.api.cli("addons:create", "postgres", "-a", "shop", "--as", "shop-db");
        assertEquals(0, created.exitCode(), created.err());
        Map<String, String> env = grid.api.config("shop");
        String url = env.get("JDBC_DATABASE_URL") + "&connectTimeout=2&socketTimeout=10";
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("CREATE TABLE acks (id int PRIMARY KEY)");
        }
        Eventually.await("the cluster settled", Duration.ofSeconds(60), this::settled, ok -> ok);
        Set<String> layout = new HashSet<>(hostsOfNodes().values());
        assertEquals(hosts(), layout.size(), "the nodes spread over every host: " + hostsOfNodes());

        ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                try (Connection c = DriverManager.getConnection(url); PreparedStatement insert = c.prepareStatement("INSERT INTO acks VALUES (?)")) {
                    for (; !stop.get(); i++) {
                        insert.setInt(1, i);
                        insert.executeUpdate(); // autocommit: acknowledged once it returns
                        acks.add(new Ack(i, System.currentTimeMillis()));
                        Eventually.sleep(5);
                    }
                } catch (SQLException e) {
                    errors.add(System.currentTimeMillis() + " " + e.getMessage());
                    i++; // that one may or may not have committed: never reused
                    Eventually.sleep(50);
                }
            }
        }, "acks-writer");
        writer.start();
        List<String> figures = new ArrayList<>();
        try {
            for (String which : losses()) {
                Eventually.await("the cluster settled", Duration.ofSeconds(90), this::settled, ok -> ok);
                ClusterState s = state();
                Map<String, String> on = hostsOfNodes();
                String host = on.get(which.equals("primary") ? s.primary() : s.sync());
                Set<String> there = new HashSet<>();
                on.forEach((node, h) -> {
                    if (h.equals(host)) there.add(node + (node.equals(s.primary()) ? " (primary)" : node.equals(s.sync()) ? " (sync)" : " (async)"));
                });
                Eventually.await("writes acknowledged", Duration.ofSeconds(10), acks::size, n -> n > 0);
                HostAgent agent = agents.get(host);
                agent.stop(false);
                for (Container c : grid.containers(host)) grid.docker.remove(c.id(), 0);
                long lost = System.currentTimeMillis(); // its nodes are gone from here on
                errors.clear();
                Ack resumed = Eventually.await("writes to resume after losing host " + host + " with " + there, Duration.ofSeconds(90),
                        () -> acks.stream().filter(a -> a.atMillis() > lost + 50).findFirst().orElse(null), a -> a != null);
                long lastBefore = acks.stream().filter(a -> a.atMillis() <= lost).mapToLong(Ack::atMillis).max().orElse(lost);
                String figure = String.format("BENCH host loss (%d hosts, lost %s with %s): writes stalled %d ms, %s",
                        hosts(), host, there, resumed.atMillis() - lastBefore, state().lastFailover() == null ? "no failover" : "failover " + state().lastFailover().from() + " -> " + state().lastFailover().to());
                System.out.println(figure);
                errors.forEach(e -> System.out.println("  writer: " + e));
                figures.add(figure);
                // The host comes back: its nodes rejoin (rewound or copied), or were made again elsewhere meanwhile.
                agents.put(host, grid.startHost(host, addresses.get(host), agent.config().portMin(), agent.config().portMax()));
            }
            Eventually.await("the cluster settled", Duration.ofSeconds(120), this::settled, ok -> ok);
            int before = acks.size();
            Eventually.await("writes acknowledged at the end", Duration.ofSeconds(20), acks::size, n -> n > before);
        } finally {
            stop.set(true);
            writer.join(30_000);
        }
        Set<Integer> stored = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url); ResultSet rs = c.createStatement().executeQuery("SELECT id FROM acks")) {
            while (rs.next()) stored.add(rs.getInt(1));
        }
        List<Integer> missing = acks.stream().map(Ack::id).filter(id -> !stored.contains(id)).toList();
        assertTrue(missing.isEmpty(), missing.size() + " of " + acks.size() + " acknowledged writes lost: " + missing + "; " + figures);
        assertTrue(acks.size() > 100, "writes went on: " + acks.size());
    }
}
