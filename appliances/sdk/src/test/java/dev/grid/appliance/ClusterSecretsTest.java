package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A provider changes its cluster's secrets through Clusters, by compare-and-swap, against a real etcd. */
class ClusterSecretsTest {
    /** A platform that has a cluster store and nothing else: all a provider's Clusters calls need. */
    static Platform platform(Store store) {
        ClusterStore clusters = new ClusterStore(store);
        return (Platform) java.lang.reflect.Proxy.newProxyInstance(Platform.class.getClassLoader(), new Class<?>[] {Platform.class}, (proxy, method, args) -> {
            if (method.getName().equals("clusterStore")) return clusters;
            throw new UnsupportedOperationException(method.getName());
        });
    }

    @Test
    void aChangeIsAskedAgainWhenAnotherWriteCameBetweenAndBothLand() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            ClusterKeys keys = new ClusterKeys("testdb", "c" + System.nanoTime());
            store.put(keys.secrets(), Map.of("PASSWORD", "one"));
            Platform platform = platform(store);
            AtomicInteger asked = new AtomicInteger();
            boolean changed = Clusters.updateSecrets(platform, keys, now -> {
                if (asked.incrementAndGet() == 1) store.put(keys.secrets(), Map.of("PASSWORD", "one", "OTHER", "theirs")); // another writer, meanwhile
                Map<String, String> next = new LinkedHashMap<>(now);
                next.put("MINE", "mine");
                return next;
            });
            assertTrue(changed);
            assertEquals(2, asked.get(), "asked again once the other write was seen");
            assertEquals(Map.of("PASSWORD", "one", "OTHER", "theirs", "MINE", "mine"), Clusters.secrets(platform, keys), "neither write lost");
            assertFalse(Clusters.updateSecrets(platform, keys, now -> now), "nothing to change: nothing written");
            store.deletePrefix(keys.root());
        }
    }
}
