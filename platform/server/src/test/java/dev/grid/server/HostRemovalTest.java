package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.host.Docker.Container;
import dev.grid.host.HostAgent;
import dev.grid.store.Keys;
import dev.grid.testing.Eventually;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code grid hosts:remove}: a Postgres cluster of three nodes on three hosts loses the hosts of
 * its primary and its sync at once. The only survivor is the async, which may lack acknowledged
 * writes: removal is refused, changing nothing, until the operator accepts that; then the async is
 * promoted and the lost nodes are made again on the surviving host, empty, and rebuilt from it.
 * A removed host's agent is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostRemovalTest {
    static final ClusterKeys KEYS = new ClusterKeys("postgres", "main");
    TestCluster grid;
    Map<String, HostAgent> agents = new HashMap<>();

    @BeforeAll
    void start() {
        grid = new TestCluster(4);
        List<HostAgent> started = grid.startHosts(3);
        for (int i = 0; i < 3; i++) agents.put(String.valueOf((char) ('a' + i)), started.get(i));
    }

    @AfterAll
    void stop() {
        grid.close();
    }

    ClusterState state() {
        return Clusters.state(grid.store, KEYS).orElseThrow();
    }

    /** The test's name (a, b, c) of the host a node's job is on. */
    String hostOf(String node) {
        var job = grid.api.jobs(KEYS.app()).stream().filter(j -> j.path("type").asText().equals(node)).findFirst().orElseThrow();
        String hostId = job.path("hostId").asText();
        return hostId.substring(hostId.lastIndexOf('-') + 1);
    }

    void lose(String host) {
        agents.get(host).stop(false);
        for (Container c : grid.containers(host)) grid.docker.remove(c.id(), 0);
    }

    @Test
    void aHostWhoseLossMayLoseWritesIsRemovedOnlyWhenTheOperatorAcceptsItAndItsNodesAreRebuiltElsewhere() {
        assertEquals(0, grid.api.cli("apps:create", "shop").exitCode());
        var created = grid.api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-db");
        assertEquals(0, created.exitCode(), created.err());
        String url = grid.api.config("shop").get("DATABASE_URL");
        assertEquals("", TestCluster.psql(url, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 20)"));

        ClusterState before = state();
        String primary = before.primary(), sync = before.sync(), async = before.asyncs().get(0);
        // The async has replayed every commit (nothing is written from here on): promoting it will in fact lose nothing.
        Eventually.await("the async to have every commit", Duration.ofSeconds(20), () -> Clusters.reports(grid.store, KEYS),
                r -> r.get(async) != null && r.get(primary) != null && dev.grid.appliance.Positions.BYTES.atLeast(r.get(async).position(), r.get(primary).position()));
        String p = hostOf(primary), s = hostOf(sync), survivor = hostOf(async);

        var up = grid.api.cli("hosts:remove", grid.hostId(survivor), "--confirm", grid.hostId(survivor));
        assertNotEquals(0, up.exitCode());
        assertTrue(up.err().contains("is up"), up.err());

        lose(p);
        lose(s);
        Eventually.await("the lost nodes' reports to go", Duration.ofSeconds(20), () -> Clusters.reports(grid.store, KEYS),
                r -> !r.containsKey(primary) && !r.containsKey(sync));
        // The two keepers' leases end a moment apart: the manager may have promoted the sync in between, and found it
        // lost too. Either way the primary of record is on a lost host, with no survivor known to hold its writes.
        Eventually.sleep(1500);
        ClusterState afterLoss = state();
        String lostPrimary = afterLoss.primary();
        assertTrue(List.of(primary, sync).contains(lostPrimary), afterLoss.toString());
        String risky = hostOf(lostPrimary), safe = risky.equals(p) ? s : p;
        var hosts = Eventually.await("grid hosts to show two hosts down", Duration.ofSeconds(20), () -> grid.api.cli("hosts"),
                r -> r.out().split("down \\(no lease", -1).length == 3);
        assertTrue(hosts.out().contains(grid.hostId(survivor)) && hosts.out().contains("up"), hosts.out());
        var info = Eventually.await("addons:info to say when the lost nodes were last seen", Duration.ofSeconds(10),
                () -> grid.api.cli("addons:info", "shop-db"), r -> r.out().contains("no report since"));
        assertTrue(info.out().contains("position"), info.out());

        // Without --confirm, and without --accept-data-loss: refused, and nothing changes.
        var unconfirmed = grid.api.cli("hosts:remove", grid.hostId(risky));
        assertNotEquals(0, unconfirmed.exitCode());
        assertTrue(unconfirmed.err().contains("--confirm " + grid.hostId(risky)), unconfirmed.err());
        var refused = grid.api.cli("hosts:remove", grid.hostId(risky), "--confirm", grid.hostId(risky));
        assertNotEquals(0, refused.exitCode());
        assertTrue(refused.err().contains("--accept-data-loss") && refused.err().contains(async + " has position"), refused.err());
        assertTrue(grid.store.get(Keys.removedHost(grid.hostId(risky))).isEmpty(), "not removed");
        assertEquals(afterLoss, state(), "nothing promoted, nothing changed");

        // The other lost host holds no primary: removing it needs no more than the confirmation.
        String other = lostPrimary.equals(primary) ? sync : primary;
        var removed = grid.api.cli("hosts:remove", grid.hostId(safe), "--confirm", grid.hostId(safe));
        assertEquals(0, removed.exitCode(), removed.err());
        assertTrue(removed.out().contains(other + " made again"), removed.out());

        var accepted = grid.api.cli("hosts:remove", grid.hostId(risky), "--confirm", grid.hostId(risky), "--accept-data-loss");
        assertEquals(0, accepted.exitCode(), accepted.err());
        assertTrue(accepted.out().contains("Promoted " + async), accepted.out());
        assertEquals(async, state().primary());
        assertTrue(state().lastFailover().reason().contains("accepted losing"), state().lastFailover().toString());

        // The lost nodes are made again on the survivor, empty, and rebuilt from the new primary.
        String whole = TestCluster.awaitWhole(grid.store, KEYS, List.of("n0", "n1", "n2"));
        assertEquals(async, whole);
        Eventually.await("a caught-up sync again", Duration.ofSeconds(60), this::state, ClusterState::syncReady);
        for (String n : List.of("n0", "n1", "n2")) assertEquals(survivor, hostOf(n), n + " runs on the surviving host");
        Map<String, NodeReport> reports = Clusters.reports(grid.store, KEYS);
        assertTrue(reports.values().stream().noneMatch(NodeReport::empty), "every node holds data now: " + reports);
        assertEquals("20", TestCluster.psql(url, "SELECT count(*) FROM orders"));
        assertEquals("", TestCluster.psql(url, "INSERT INTO orders VALUES (21)"), "writes are acknowledged again (by the rebuilt sync)");

        // The removed hosts never come back under their ids.
        IllegalStateException back = assertThrows(IllegalStateException.class, () -> grid.startHost(risky, "127.0.0.9"));
        assertTrue(back.getMessage().contains("was removed") && back.getMessage().contains("GRID_HOST_ID"), back.getMessage());
        var listed = grid.api.cli("hosts");
        assertTrue(listed.out().contains(grid.hostId(risky)) && listed.out().contains("removed"), listed.out());
        var again = grid.api.cli("hosts:remove", grid.hostId(risky), "--confirm", grid.hostId(risky));
        assertEquals(0, again.exitCode(), "removing twice is harmless: " + again.err());
    }
}
