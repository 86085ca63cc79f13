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
 * An appliance cluster of three nodes loses whole hosts (the host agent stopped, its containers
 * killed) under a write load, in two layouts (three hosts with a node each; two hosts, one with two
 * nodes): Postgres through JDBC ({@link HostFailureTwoHostsTest}, {@link HostFailureThreeHostsTest}),
 * Redis with WAIT 1 ({@link RedisHostFailureTwoHostsTest}, {@link RedisHostFailureThreeHostsTest}). After each loss writes resume, and no
 * acknowledged write is lost; the host then comes back, and its nodes rejoin. The control plane
 * (etcd, controller, scheduler, managers) is on no host: its own availability is another matter
 * (docs/reliability.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HostFailureTest {
    /** GRID_NODE_REPLACE_AFTER here: a primary left alone gets a node made again after this long. */
    static final Duration REPLACE_AFTER = Duration.ofSeconds(5);
    TestCluster grid;
    final Map<String, HostAgent> agents = new HashMap<>();
    final Map<String, String> addresses = new HashMap<>();

    /**
     * @param hosts  how many hosts the nodes spread over
     * @param losses which hosts to lose, in turn: "sync" (the sync's host, which holds no primary), "primary"
     */
    record Layout(int hosts, List<String> losses) {}

    /** Three nodes on two hosts (one host holds two of them): losing the sync's host, then the primary's. */
    static final Layout TWO_HOSTS = new Layout(2, List.of("sync", "primary"));
    /** Three hosts with one node each: losing the primary's host (the appliance tests kill primaries' containers besides). */
    static final Layout THREE_HOSTS = new Layout(3, List.of("primary"));

    abstract Layout layout();

    int hosts() {
        return layout().hosts();
    }

    /** Makes the add-on on app {@code shop} (three nodes) and returns its cluster's keys. */
    abstract ClusterKeys provision(TestCluster grid);

    /** A client of the add-on as an app has it: one connection, remade by the writer after a failure. */
    interface Client extends AutoCloseable {
        /** Writes item {@code id}; returns once the appliance's promise calls it acknowledged. */
        void write(int id) throws Exception;

        /** The ids of the items the datastore holds now. */
        Set<Integer> stored() throws Exception;

        @Override
        void close();
    }

    abstract Client connect() throws Exception;

    ClusterKeys keys;

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
        return Clusters.state(grid.store, keys).orElseThrow();
    }

    /** The test's name (a, b, c) of the host each node's job is on. */
    Map<String, String> hostsOfNodes() {
        Map<String, String> out = new HashMap<>();
        for (var j : grid.api.jobs(keys.app())) {
            String hostId = j.path("hostId").asText();
            out.put(j.path("type").asText(), hostId.substring(hostId.lastIndexOf('-') + 1));
        }
        return out;
    }

    /**
     * Every node reports in the current generation, streaming from the primary (or, for an async of
     * a cascading appliance, from the sync); the sync caught up, on another host than the primary.
     */
    boolean settled() {
        ClusterState s = state();
        boolean synchronous = grid.store.get(keys.spec(), dev.grid.appliance.ClusterSpec.class).orElseThrow().synchronous();
        if ((synchronous && !s.syncReady()) || !s.deposed().isEmpty() || s.sync() == null) return false;
        Map<String, NodeReport> r = Clusters.reports(grid.store, keys);
        for (String n : List.of("n0", "n1", "n2")) {
            NodeReport nr = r.get(n);
            if (nr == null || nr.generation() != s.generation()) return false;
            if (!n.equals(s.primary()) && !s.streams(n, nr)) return false;
        }
        Map<String, String> on = hostsOfNodes();
        return !on.get(s.primary()).equals(on.get(s.sync()));
    }

    record Ack(int id, long atMillis) {}

    @Test
    void losingAnyOneHostLosesNoAcknowledgedWriteAndWritesResume() throws Exception {
        assertEquals(0, grid.api.cli("apps:create", "shop").exitCode());
        keys = provision(grid);
        Eventually.await("the cluster settled", Duration.ofSeconds(60), this::settled, ok -> ok);
        Set<String> layout = new HashSet<>(hostsOfNodes().values());
        assertEquals(hosts(), layout.size(), "the nodes spread over every host: " + hostsOfNodes());

        ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                try (Client c = connect()) {
                    for (; !stop.get(); i++) {
                        c.write(i);
                        acks.add(new Ack(i, System.currentTimeMillis()));
                        Eventually.sleep(5);
                    }
                } catch (Exception e) {
                    errors.add(System.currentTimeMillis() + " " + e.getMessage());
                    i++; // that one may or may not have been taken: never reused
                    Eventually.sleep(50);
                }
            }
        }, "acks-writer");
        writer.start();
        List<String> figures = new ArrayList<>();
        try {
            for (String which : layout().losses()) {
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
                String figure = String.format("BENCH host loss (%s, %d hosts, lost %s with %s): writes stalled %d ms, %s",
                        keys.appliance(), hosts(), host, there, resumed.atMillis() - lastBefore, state().lastFailover() == null ? "no failover" : "failover " + state().lastFailover().from() + " -> " + state().lastFailover().to());
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
        Set<Integer> stored;
        try (Client c = connect()) {
            stored = c.stored();
        }
        List<Integer> missing = acks.stream().map(Ack::id).filter(id -> !stored.contains(id)).toList();
        assertTrue(missing.isEmpty(), missing.size() + " of " + acks.size() + " acknowledged writes lost: " + missing + "; " + figures);
        assertTrue(acks.size() > 100, "writes went on: " + acks.size());
    }
}
