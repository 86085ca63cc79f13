package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.testing.Eventually;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A SQL appliance's primary killed under a JDBC writer, round after round: each round waits for
 * the cluster to settle, docker-kills the primary's container, waits for a write acknowledged by
 * another node, checks the sync was promoted, and waits for the killed node to be back as a
 * replica. Afterwards every acknowledged row must be there. It prints the BENCH lines
 * bench/appliance-failover.sh reads.
 */
final class PrimaryKills {
    /** A connection to the add-on, through its route. */
    interface Connect {
        Connection open() throws SQLException;
    }

    /** Commits row {@code id} in table {@code chaos} (autocommit) and returns the address of the node that acknowledged it, or null if it does not say. */
    interface Write {
        String commit(Connection c, long id) throws SQLException;
    }

    private PrimaryKills() {}

    static void run(String appliance, TestCluster grid, ClusterKeys keys, int rounds, BooleanSupplier settled, Connect connect, Write write)
            throws Exception {
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        AtomicLong lastAck = new AtomicLong(System.nanoTime());
        // Which node acknowledged the last write (the route hides it; the datastore tells): one
        // acknowledged just after the kill may still come from the killed node.
        AtomicReference<String> lastServer = new AtomicReference<>("");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        Thread writer = new Thread(() -> {
            long id = 0;
            Connection c = null;
            while (writing.get()) {
                long next = ++id;
                try {
                    if (c == null) c = connect.open();
                    String server = write.commit(c, next);
                    acked.add(next);
                    if (server != null) lastServer.set(server);
                    lastAck.set(System.nanoTime());
                } catch (SQLException e) {
                    failures.incrementAndGet();
                    try {
                        if (c != null) c.close();
                    } catch (SQLException ignored) {
                        // reconnecting anyway
                    }
                    c = null;
                    Eventually.sleep(50);
                }
            }
        }, appliance + "-writer");
        writer.start();
        List<Long> failoverMillis = new ArrayList<>();
        try {
            for (int round = 1; round <= rounds; round++) {
                Eventually.await("the cluster settled before round " + round, Duration.ofSeconds(120), settled::getAsBoolean, ok -> ok);
                Eventually.await("writes flowing", Duration.ofSeconds(10), () -> System.nanoTime() - lastAck.get() < 500_000_000L, ok -> ok);
                ClusterState before = Clusters.state(grid.store, keys).orElseThrow();
                String victim = before.primary();
                String victimAddress = Clusters.reports(grid.store, keys).get(victim).address();
                grid.docker.kill(grid.nodeContainer(keys, victim).id());
                long killed = System.nanoTime();
                Eventually.await("a write acknowledged by another node than " + victim, Duration.ofSeconds(60),
                        () -> lastAck.get() > killed && !lastServer.get().isEmpty() && !lastServer.get().equals(victimAddress), ok -> ok);
                long millis = (lastAck.get() - killed) / 1_000_000;
                failoverMillis.add(millis);
                ClusterState after = Clusters.state(grid.store, keys).orElseThrow();
                assertNotEquals(victim, after.primary(), "round " + round + ": a new primary");
                assertEquals(before.sync(), after.primary(), "round " + round + ": the sync was promoted");
                assertEquals(after.primary(), grid.store.get(dev.grid.store.Keys.leader(keys.service())).orElseThrow().value(),
                        "round " + round + ": the new primary is the leader its route follows, not just the oldest instance");
                System.out.printf("BENCH %s failover round %d: %s -> %s, first write %d ms after the kill%n", appliance, round, victim, after.primary(), millis);
                // The killed node rejoins by itself, as a replica.
                Eventually.await(victim + " rejoined as a replica", Duration.ofSeconds(120), () -> Clusters.reports(grid.store, keys).get(victim),
                        r -> r != null && Clusters.state(grid.store, keys).orElseThrow().streams(victim, r));
                System.out.printf("BENCH %s rejoin round %d: %s back as a replica %d ms after the kill%n", appliance, round, victim,
                        (System.nanoTime() - killed) / 1_000_000);
            }
        } finally {
            writing.set(false);
            writer.join(15_000);
        }
        Set<Long> present = new HashSet<>();
        try (Connection c = connect.open(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM chaos")) {
            while (rs.next()) present.add(rs.getLong(1));
        }
        Set<Long> lost = new HashSet<>(acked);
        lost.removeAll(present);
        assertTrue(acked.size() > 100, "the writer wrote: " + acked.size());
        assertEquals(Set.of(), lost, "acknowledged rows lost (of " + acked.size() + ")");
        failoverMillis.sort(Long::compare);
        System.out.printf("BENCH %s failover: %d rounds, %d rows acknowledged, %d failed attempts, kill-to-write median %d ms, max %d ms%n",
                appliance, failoverMillis.size(), acked.size(), failures.get(), failoverMillis.get(failoverMillis.size() / 2),
                failoverMillis.get(failoverMillis.size() - 1));
        Eventually.await("the cluster settled after the kills", Duration.ofSeconds(120), settled::getAsBoolean, ok -> ok);
    }
}
