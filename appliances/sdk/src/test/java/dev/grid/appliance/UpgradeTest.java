package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpgradeTest {
    static final List<String> MEMBERS = List.of("n0", "n1", "n2");
    static final ClusterState STATE = new ClusterState(3, "n0", "n1", List.of("n2"), List.of(), true, null, 0);

    static NodeReport node(String id, Role role, String upstream, String program) {
        return new NodeReport(id, "127.0.0.1", 1, role, 3, upstream, "10", null, 0, "", "i-" + id, program);
    }

    /** A whole cluster: n0 primary, n1 and n2 replicas of it, each on the program given. */
    static Map<String, NodeReport> whole(String p0, String p1, String p2) {
        Map<String, NodeReport> r = new HashMap<>();
        r.put("n0", node("n0", Role.PRIMARY, null, p0));
        r.put("n1", node("n1", Role.REPLICA, "n0", p1));
        r.put("n2", node("n2", Role.REPLICA, "n0", p2));
        return r;
    }

    @Test
    void asyncsThenTheSyncThenThePrimaryEachOnceTheOneBeforeRunsTheNewProgram() {
        Map<String, String> slugs = new HashMap<>(Map.of("n0", "old", "n1", "old", "n2", "old"));
        assertEquals("n2", Upgrade.next(STATE, MEMBERS, slugs, whole(null, null, null), "new", true).node(), "the async first (an earlier Grid's keepers say no program)");

        slugs.put("n2", "new");
        Map<String, NodeReport> restarting = whole("old", "old", "old");
        restarting.remove("n2");
        Upgrade.Step wait = Upgrade.next(STATE, MEMBERS, slugs, restarting, "new", true);
        assertNull(wait.node());
        assertEquals("n2 is starting new", wait.why(), "one node at a time: the next waits until it reports the program");

        assertEquals("n1", Upgrade.next(STATE, MEMBERS, slugs, whole("old", "old", "new"), "new", true).node(), "then the sync");
        slugs.put("n1", "new");
        Upgrade.Step primary = Upgrade.next(STATE, MEMBERS, slugs, whole("old", "new", "new"), "new", true);
        assertEquals("n0", primary.node(), "the primary last");
        assertTrue(primary.why().contains("sync n1 (on it already) takes over"), primary.why());

        slugs.put("n0", "new");
        assertEquals("every node runs new", Upgrade.next(STATE, MEMBERS, slugs, whole("new", "new", "new"), "new", true).why());
    }

    @Test
    void thePrimaryWaitsWhileTheSyncIsNotCaughtUpOrAReplicaDoesNotStream() {
        Map<String, String> slugs = Map.of("n0", "old", "n1", "new", "n2", "new");
        ClusterState catchingUp = new ClusterState(3, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        Upgrade.Step s = Upgrade.next(catchingUp, MEMBERS, slugs, whole("old", "new", "new"), "new", true);
        assertNull(s.node());
        assertEquals("upgrade paused: the sync n1 is catching up", s.why());

        assertEquals("n0", Upgrade.next(catchingUp, MEMBERS, slugs, whole("old", "new", "new"), "new", false).node(),
                "asynchronous replication (Redis): no sync is ever confirmed; every replica streaming is enough");

        Map<String, NodeReport> notStreaming = whole("old", "new", "new");
        notStreaming.put("n2", node("n2", Role.REPLICA, null, "new"));
        assertEquals("upgrade paused: n2 is not replicating from the primary", Upgrade.next(STATE, MEMBERS, slugs, notStreaming, "new", true).why());
    }

    @Test
    void anOldReplicaThatDoesNotStreamGoesFirstWhileThePrimaryServesButNotWhileItDoesNot() {
        // An old replica that cannot sign in to an upgraded primary (after a failover during the upgrade) would stall it for ever.
        ClusterState afterFailover = new ClusterState(5, "n1", "n2", List.of("n0"), List.of(), true, null, 0);
        Map<String, String> slugs = Map.of("n0", "old", "n1", "new", "n2", "new");
        Map<String, NodeReport> r = new HashMap<>();
        r.put("n1", node("n1", Role.PRIMARY, null, "new"));
        r.put("n2", node("n2", Role.REPLICA, "n1", "new"));
        r.put("n0", node("n0", Role.REPLICA, null, "old"));
        Upgrade.Step s = Upgrade.next(afterFailover, MEMBERS, slugs, r, "new", true);
        assertEquals("n0", s.node());
        assertEquals("n0 does not stream from the primary: restarted on new", s.why());

        r.put("n1", new NodeReport("n1", "127.0.0.1", 1, Role.STOPPED, 5, null, "0", null, 5, "", "i", "new"));
        assertNull(Upgrade.next(afterFailover, MEMBERS, slugs, r, "new", true).node(), "no primary serving: the failover may need every replica");
    }

    @Test
    void aNodeThatIsDownAnywayGoesFirstButADownPrimaryIsLeftToFailover() {
        Map<String, String> slugs = Map.of("n0", "old", "n1", "old", "n2", "old");
        Map<String, NodeReport> r = whole("old", "old", "old");
        r.put("n1", new NodeReport("n1", "127.0.0.1", 1, Role.STOPPED, 3, null, "0", null, 5, "", "i", "old"));
        assertEquals("n1", Upgrade.next(STATE, MEMBERS, slugs, r, "new", true).node(), "restarting a stopped node costs nothing");

        Map<String, NodeReport> noPrimary = whole("old", "old", "old");
        noPrimary.remove("n0");
        Upgrade.Step s = Upgrade.next(STATE, MEMBERS, slugs, noPrimary, "new", true);
        assertNull(s.node(), "the manager's failover handles a lost primary, not the upgrade");
        assertEquals("upgrade paused: the primary n0 is not serving", s.why());
    }

    @Test
    void aProgramThatNeverComesUpStopsTheUpgradeWithOneNodeDown() {
        Map<String, String> slugs = new HashMap<>(Map.of("n0", "old", "n1", "old", "n2", "new"));
        Map<String, NodeReport> r = whole("old", "old", "old");
        r.put("n2", new NodeReport("n2", "127.0.0.1", 1, Role.STOPPED, 3, null, "0", null, 5, "", "i2", "new"));
        for (int round = 0; round < 100; round++) {
            Upgrade.Step s = Upgrade.next(STATE, MEMBERS, slugs, r, "new", true);
            assertNull(s.node(), "round " + round + ": " + s.why());
        }
    }

    @Test
    void nothingToDoWithoutAWantedProgramOrWithoutAPrimary() {
        assertNull(Upgrade.next(STATE, MEMBERS, Map.of(), whole("a", "a", "a"), null, true).node());
        assertNull(Upgrade.next(null, MEMBERS, Map.of("n0", "old", "n1", "old", "n2", "old"), whole("a", "a", "a"), "new", true).node());
    }

    /** Applied until done, from every order of reports coming back: never two nodes behind at once, the primary last. */
    @Test
    void anUpgradeRunToTheEndRestartsEachNodeOnceAndNeverTwoAtATime() {
        Map<String, String> slugs = new HashMap<>(Map.of("n0", "old", "n1", "old", "n2", "old"));
        Map<String, NodeReport> r = whole("old", "old", "old");
        List<String> order = new ArrayList<>();
        for (int round = 0; round < 10; round++) {
            Upgrade.Step s = Upgrade.next(STATE, MEMBERS, slugs, r, "new", true);
            if (s.node() == null) break;
            long restarting = MEMBERS.stream().filter(m -> "new".equals(slugs.get(m)) && !"new".equals(r.get(m).program())).count();
            assertEquals(0, restarting, "a step only once the last one is done");
            order.add(s.node());
            slugs.put(s.node(), "new");
            r.put(s.node(), node(s.node(), r.get(s.node()).role(), r.get(s.node()).upstream(), "new"));
        }
        assertEquals(List.of("n2", "n1", "n0"), order);
    }

    @Test
    void withCascadingReplicationAnAsyncStreamingFromTheSyncIsWholeAndUpgradedInItsTurn() {
        Map<String, String> slugs = new HashMap<>(Map.of("n0", "old", "n1", "old", "n2", "old"));
        Map<String, NodeReport> cascading = whole("old", "old", "old");
        cascading.put("n2", node("n2", Role.REPLICA, "n1", "old")); // Redis: the async streams from the sync n1
        Upgrade.Step step = Upgrade.next(STATE, MEMBERS, slugs, cascading, "new", true);
        assertEquals("n2", step.node());
        assertEquals("async n2 restarted on new", step.why(), "it streams as it should: not restarted for not streaming");

        // The sync itself must stream from the primary: from the async it does not count.
        cascading.put("n1", node("n1", Role.REPLICA, "n2", "new"));
        slugs.put("n1", "new");
        Upgrade.Step sync = Upgrade.next(STATE, MEMBERS, slugs, cascading, "new", true);
        assertNull(sync.node());
        assertEquals("upgrade paused: n1 is not replicating from the primary", sync.why());
    }
}
