package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When the manager makes a lost node again elsewhere on its own (GRID_NODE_REPLACE_AFTER). */
class NodeReplacementTest {
    static final long NOW = FailoverTest.NOW;
    static final Duration AFTER = Duration.ofSeconds(60);
    static final List<String> MEMBERS = FailoverTest.MEMBERS;
    /** n2 promoted after host a (n0 and n1) was lost: n2 alone, on host b. */
    static final ClusterState ALONE = new ClusterState(9, "n2", null, List.of("n1"), List.of("n0"), false, null, 0);
    static final Map<String, String> HOSTS = Map.of("n0", "a", "n1", "a", "n2", "b");

    static Optional<String> due(ClusterState s, Map<String, NodeReport> alive, long missingFor, Set<String> up) {
        return NodeReplacement.due(s, MEMBERS, alive, Map.of("n0", NOW - missingFor, "n1", NOW - missingFor), HOSTS, up, NOW, AFTER);
    }

    @Test
    void aPrimaryWithNoStandbyGetsOneLostNodeMadeAgainOnceTheWaitIsOver() {
        var alive = FailoverTest.reports(FailoverTest.primary("n2", 9, 100, null));
        assertEquals(Optional.empty(), due(ALONE, alive, 59_000, Set.of("b")), "not before GRID_NODE_REPLACE_AFTER");
        assertEquals(Optional.of("n0"), due(ALONE, alive, 60_000, Set.of("b")), "one at a time, in member order");
        assertEquals(Optional.empty(), due(ALONE, alive, 60_000, Set.of("a", "b")), "its host is back: it comes back with its data");
    }

    @Test
    void oneMadeAgainIsWaitedForBeforeAnotherIsEvenWhenItIsSlowToReport() {
        var alive = FailoverTest.reports(FailoverTest.primary("n2", 9, 100, null));
        // n0 was made again on host b a moment ago and has not reported yet; n1's host a is still down.
        Map<String, String> n0MadeAgain = Map.of("n0", "b", "n1", "a", "n2", "b");
        assertEquals(Optional.empty(), NodeReplacement.due(ALONE, MEMBERS, alive, Map.of("n0", NOW - 60_000, "n1", NOW - 60_000),
                n0MadeAgain, Set.of("b"), NOW, AFTER), "n1 stays where it is: host a may be back before n0 reports");
    }

    @Test
    void nothingIsMadeAgainWhileAnotherMemberReportsOrThePrimaryDoesNotServe() {
        var rebuilding = FailoverTest.reports(FailoverTest.primary("n2", 9, 100, null), FailoverTest.down("n0", 0, NOW));
        assertEquals(Optional.empty(), due(ALONE, rebuilding, 600_000, Set.of("b")), "n0 is being rebuilt: n1 waits for its host");
        var streaming = FailoverTest.reports(FailoverTest.primary("n2", 9, 100, null), FailoverTest.replica("n0", 9, "n2", 100));
        assertEquals(Optional.empty(), due(ALONE, streaming, 600_000, Set.of("b")), "writes flow: the lost node waits");
        var stale = FailoverTest.reports(FailoverTest.primary("n2", 8, 100, null));
        assertEquals(Optional.empty(), due(ALONE, stale, 600_000, Set.of("b")), "a primary not yet of this generation is no source");
        var down = FailoverTest.reports(FailoverTest.down("n2", 9, NOW - 1000));
        assertEquals(Optional.empty(), due(ALONE, down, 600_000, Set.of("b")));
        ClusterState primaryLost = new ClusterState(9, "n0", "n2", List.of("n1"), List.of(), false, null, 0);
        assertEquals(Optional.empty(), due(primaryLost, FailoverTest.reports(FailoverTest.replica("n2", 9, "n0", 100)), 600_000, Set.of("b")),
                "the primary itself is never made again: that is a failover's, or hosts:remove's");
        assertEquals(Optional.empty(), NodeReplacement.due(ALONE, MEMBERS, FailoverTest.reports(FailoverTest.primary("n2", 9, 100, null)),
                Map.of("n0", 0L), HOSTS, Set.of("b"), NOW, null), "GRID_NODE_REPLACE_AFTER=off");
    }
}
