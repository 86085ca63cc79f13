package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.keeper.EtcdGateway;
import dev.grid.store.EtcdAccess;
import dev.grid.store.EtcdUsers;
import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import dev.grid.testing.TlsEtcd;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keeper's side of etcd: its cluster's user, and TLS with a client certificate. */
class EtcdGatewayTest {
    @Test
    void aKeeperSignsInAsItsClusterAndReachesNothingElse() throws Exception {
        try (Store root = SharedEtcd.newStore()) {
            ClusterKeys keys = new ClusterKeys("kv", "c1");
            root.put(keys.state(), Map.of("generation", 3));
            root.put("apps/other", Map.of("secret", "no"));
            String user = "test-gateway-" + root.prefix().replace("/", "");
            root.users().ensure(user, "pw", List.of(EtcdUsers.Grant.read(keys.root()), EtcdUsers.Grant.readWrite(keys.nodes())));
            EtcdGateway keeper = new EtcdGateway(List.of(SharedEtcd.url()), root.prefix(), user, "pw", null, null, null);
            assertEquals(3, keeper.get(keys.state(), Map.class).orElseThrow().get("generation"));
            long lease = keeper.grant(5);
            keeper.put(keys.node("n0"), Map.of("id", "n0"), lease);
            assertTrue(keeper.keepAlive(lease));
            assertTrue(root.get(keys.node("n0")).isPresent());
            IOException denied = assertThrows(IOException.class, () -> keeper.get("apps/other", Map.class));
            assertTrue(denied.getMessage().contains("permission denied"), denied.getMessage());
            assertThrows(IOException.class, () -> keeper.put(keys.state(), Map.of("generation", 99), 0));
            assertEquals(3, root.get(keys.state(), Map.class).orElseThrow().get("generation"), "nothing changed");
            EtcdGateway wrong = new EtcdGateway(List.of(SharedEtcd.url()), root.prefix(), user, "not-it", null, null, null);
            assertThrows(IOException.class, () -> wrong.get(keys.state(), Map.class));
            root.users().remove(user);
        }
    }

    @Test
    void aKeeperReachesAnEtcdThatWantsTlsAndAClientCertificate() throws Exception {
        try (TlsEtcd etcd = new TlsEtcd()) {
            EtcdGateway keeper = new EtcdGateway(List.of(etcd.url), "/tls/", null, null, Files.readString(etcd.ca),
                    Files.readString(etcd.clientCert), Files.readString(etcd.clientKey));
            keeper.put("appliances/kv/c1/nodes/n0", "{\"id\":\"n0\"}", 0);
            try (Store grid = Store.connect(List.of(etcd.url), "/tls/", new EtcdAccess(null, null, etcd.ca, etcd.clientCert, etcd.clientKey))) {
                assertEquals("{\"id\":\"n0\"}", grid.get("appliances/kv/c1/nodes/n0").orElseThrow().value());
            }
            EtcdGateway noCertificate = new EtcdGateway(List.of(etcd.url), "/tls/", null, null, Files.readString(etcd.ca), null, null);
            assertThrows(IOException.class, () -> noCertificate.get("appliances/kv/c1/nodes/n0", Map.class));
        }
    }
}
