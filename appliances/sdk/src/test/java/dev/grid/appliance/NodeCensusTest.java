package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeCensusTest {
    private static NodeReport report(String id, String role, long position) {
        return new NodeReport(id, "127.0.0.2", 5432, Role.of(role), 3, null, String.valueOf(position), null, 0, null);
    }

    private static ClusterState primary(String p) {
        return new ClusterState(3, p, null, List.of(), List.of(), true, null, 0);
    }

    @Test
    void eachNodeHasItsRoleAndEachReplicaItsLagBehindThePrimarysPosition() {
        Map<String, NodeReport> reports = Map.of("n0", report("n0", "primary", 9000), "n1", report("n1", "replica", 8000),
                "n2", report("n2", "replica", 9500), "n3", report("n3", "stopped", 0));
        assertEquals(List.of(new NodeCensus.Node("n0", "primary", -1), new NodeCensus.Node("n1", "replica", 1000),
                new NodeCensus.Node("n2", "replica", 0), new NodeCensus.Node("n3", "stopped", -1)), NodeCensus.of(primary("n0"), reports, Positions.BYTES),
                "a replica ahead of the primary's last report is not behind; a stopped node has no lag to say");
    }

    @Test
    void withoutThePrimarysReportNoLagIsMadeUp() {
        Map<String, NodeReport> reports = Map.of("n1", report("n1", "replica", 8000));
        assertEquals(List.of(new NodeCensus.Node("n1", "replica", -1)), NodeCensus.of(primary("n0"), reports, Positions.BYTES));
        assertEquals(List.of(new NodeCensus.Node("n1", "replica", -1)), NodeCensus.of(null, reports, Positions.BYTES));
    }

    @Test
    void aFailoverIsAnotherPrimaryWhereThereWasOne() {
        assertTrue(NodeCensus.failedOver(primary("n0"), primary("n1")));
        assertFalse(NodeCensus.failedOver(primary("n0"), primary("n0")));
        assertFalse(NodeCensus.failedOver(null, primary("n0")), "the first primary is a bootstrap");
        assertFalse(NodeCensus.failedOver(primary(null), primary("n0")));
    }
}
