package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What {@code grid hosts:remove} may do to a cluster, and when it needs {@code --accept-data-loss}. */
class HostLossTest {
    static final ClusterSpec SPEC = new ClusterSpec("postgres", "shared", FailoverTest.MEMBERS, true);
    static final long NOW = FailoverTest.NOW;

    static HostLoss.Verdict assess(ClusterState s, Set<String> onHost, Map<String, NodeReport> alive, Map<String, HostLoss.LastSeen> seen, boolean accept) {
        return HostLoss.assess(SPEC, s, onHost, alive, seen, FailoverTest.SYNC, Map.of(), NOW, accept);
    }

    @Test
    void aHostWithOnlyReplicasGoesSafely() {
        var alive = FailoverTest.reports(FailoverTest.primary("n0", 7, 100, "n1"), FailoverTest.replica("n1", 7, "n0", 100));
        HostLoss.Verdict v = assess(FailoverTest.ready(7), Set.of("n2"), alive, Map.of(), false);
        assertTrue(v.safe(), v.why());
        assertNull(v.decision());
        assertTrue(v.why().contains("n2 made again") && v.why().contains("primary n0"), v.why());
        assertTrue(assess(FailoverTest.ready(7), Set.of(), alive, Map.of(), false).safe());
    }

    @Test
    void aLostPrimaryWhoseReadySyncSurvivesFailsOverToItSafely() {
        var alive = FailoverTest.reports(FailoverTest.replica("n1", 7, "n0", 100), FailoverTest.replica("n2", 7, "n0", 90));
        HostLoss.Verdict v = assess(FailoverTest.ready(7), Set.of("n0"), alive, Map.of(), false);
        assertTrue(v.safe(), v.why());
        assertTrue(v.why().contains("fails over to n1"), v.why());
        assertNull(v.decision(), "the manager does the failover: removal writes no state");
    }

    @Test
    void aPrimaryLostWithItsSyncIsRefusedAndSaysWhatMayBeLost() {
        var alive = FailoverTest.reports(FailoverTest.replica("n2", 7, "n0", 90));
        Map<String, HostLoss.LastSeen> seen = Map.of("n1", new HostLoss.LastSeen(FailoverTest.replica("n1", 7, "n0", 150), NOW - 5000),
                "n0", new HostLoss.LastSeen(FailoverTest.primary("n0", 7, 140, "n1"), NOW - 5000));
        HostLoss.Verdict v = assess(FailoverTest.ready(7), Set.of("n0", "n1"), alive, seen, false);
        assertFalse(v.safe());
        assertNull(v.decision());
        assertTrue(v.why().contains("its sync n1 was there too"), v.why());
        assertTrue(v.why().contains("n2 has position 90") && v.why().contains("n1 last reported 150") && v.why().contains("up to 60 bytes"), v.why());
        assertTrue(v.why().contains("--accept-data-loss"), v.why());

        HostLoss.Verdict accepted = assess(FailoverTest.ready(7), Set.of("n0", "n1"), alive, seen, true);
        ClusterState next = accepted.decision();
        assertEquals("n2", next.primary(), accepted.why());
        assertEquals(8, next.generation());
        assertNull(next.sync(), "no live replica of n2 yet: the recreated nodes become its sync once they stream");
        assertEquals(List.of("n1"), next.asyncs());
        assertEquals(List.of("n0"), next.deposed());
        assertTrue(next.lastFailover().reason().contains("accepted losing"), next.lastFailover().reason());
    }

    @Test
    void aSyncThatHadNotCaughtUpIsNoSafeHarbourEither() {
        ClusterState catchingUp = new ClusterState(7, "n0", "n1", List.of("n2"), List.of(), false, null, 0);
        var alive = FailoverTest.reports(FailoverTest.replica("n1", 7, "n0", 100), FailoverTest.replica("n2", 7, "n0", 90));
        HostLoss.Verdict v = assess(catchingUp, Set.of("n0"), alive, Map.of(), false);
        assertFalse(v.safe());
        assertTrue(v.why().contains("had not caught up") && v.why().contains("not known"), v.why());
        assertEquals("n1", assess(catchingUp, Set.of("n0"), alive, Map.of(), true).decision().primary(), "the survivor with the highest position");
    }

    @Test
    void withNoReplicaLeftNothingCanBePromotedEvenWhenTheOperatorAcceptsLoss() {
        NodeReport empty = new NodeReport("n2", "127.0.0.1", 1, Role.REPLICA, 7, "n0", "0", null, 0, "", "i", null, true);
        HostLoss.Verdict v = assess(FailoverTest.ready(7), Set.of("n0", "n1"), FailoverTest.reports(empty), Map.of(), true);
        assertFalse(v.safe());
        assertNull(v.decision(), "an empty node is never promoted");
        assertTrue(v.why().contains("Bring a node back first"), v.why());
    }
}
