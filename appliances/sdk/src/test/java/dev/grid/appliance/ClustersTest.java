package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClustersTest {
    static NodeReport at(String id, String address) {
        return new NodeReport(id, address, 21000, NodeReport.REPLICA, 1, null, 0, null, 0, "", "i-" + id);
    }

    @Test
    void aClusterSpansHostsOnceTwoOfItsNodesHaveDifferentAddresses() {
        assertFalse(Clusters.spansHosts(List.of()));
        assertFalse(Clusters.spansHosts(List.of(at("n0", "127.0.0.1"), at("n1", "127.0.0.1"), at("n2", "127.0.0.1"))), "one machine");
        assertTrue(Clusters.spansHosts(List.of(at("n0", "10.0.0.1"), at("n1", "10.0.0.2"))));
    }
}
