package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClustersTest {
    static NodeReport at(String id, String address) {
        return new NodeReport(id, address, 21000, Role.REPLICA, 1, null, "0", null, 0, "", "i-" + id);
    }

    @Test
    void aClusterSpansHostsOnceTwoOfItsNodesHaveDifferentAddresses() {
        assertFalse(Clusters.spansHosts(List.of()));
        assertFalse(Clusters.spansHosts(List.of(at("n0", "127.0.0.1"), at("n1", "127.0.0.1"), at("n2", "127.0.0.1"))), "one machine");
        assertTrue(Clusters.spansHosts(List.of(at("n0", "10.0.0.1"), at("n1", "10.0.0.2"))));
    }

    @Test
    void certificatesAreRenewedWithinNinetyDaysOfTheirEndAndNotBefore() {
        ClusterCa ca = ClusterCa.create("t");
        Clusters.Tls tls = new Clusters.Tls("grid-redis-x", List.of("127.0.0.1"), List.of());
        java.util.Map<String, String> fresh = Clusters.tlsSecrets(ca, tls);
        java.time.Instant now = java.time.Instant.now();
        assertFalse(Clusters.renewalDue(fresh, now), "a year left");
        assertTrue(Clusters.renewalDue(fresh, now.plus(java.time.Duration.ofDays(300))), "65 days left");
        java.util.Map<String, String> shortLived = new java.util.HashMap<>(fresh);
        shortLived.put(Clusters.TLS_SERVER_CERT, ca.issue("grid-redis-x", true, List.of(), java.time.Duration.ofDays(30)).certPem());
        assertTrue(Clusters.renewalDue(shortLived, now));
        assertFalse(Clusters.renewalDue(java.util.Map.of("PASSWORD", "pw"), now), "a cluster without certificates keeps none");
    }
}
