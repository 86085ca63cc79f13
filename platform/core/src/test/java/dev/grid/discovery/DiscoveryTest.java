package dev.grid.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Instance;
import dev.grid.store.Keys;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
    private static Instance instance(String id, int port) {
        return new Instance("db", id, "127.0.0.1", port, id, "h1");
    }

    @Test
    void leaderIsTheOldestInstanceUntilOneIsChosenAndNoOtherWhileTheChosenOneIsDead() {
        try (Store store = SharedEtcd.newStore()) {
            Discovery d = new Discovery(store);
            Lease first = store.lease(30);
            Lease second = store.lease(30);
            d.register(instance("i1", 1), first.id());
            d.register(instance("i2", 2), second.id());
            assertEquals("i1", d.leader("db").orElseThrow().id(), "oldest instance leads by default");

            assertTrue(d.setLeader("db", "i2", 0));
            assertFalse(d.setLeader("db", "i1", 0), "a stale compare-and-swap must lose");
            assertEquals("i2", d.leader("db").orElseThrow().id());

            second.revoke();
            // During a failover the chosen leader is gone until the next is named: no other instance
            // (perhaps one that another app registered under the name) gets the leader's traffic.
            assertTrue(d.leader("db").isEmpty(), "a dead chosen leader is no leader, not the oldest live instance");
            assertTrue(d.setLeader("db", "i1", store.get(Keys.leader("db")).orElseThrow().modRevision()));
            assertEquals("i1", d.leader("db").orElseThrow().id());
            first.revoke();
            assertTrue(d.leader("db").isEmpty());
        }
    }

    @Test
    void watchersSeeInstancesComeAndGo() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            Discovery d = new Discovery(store);
            List<String> seen = new CopyOnWriteArrayList<>();
            try (AutoCloseable w = d.watch("db", changes -> changes.forEach(c -> seen.add(c.type() + " " + c.key())))) {
                Lease lease = store.lease(30);
                d.register(instance("i1", 1), lease.id());
                lease.revoke();
                Eventually.await("put then delete", Duration.ofSeconds(5), () -> seen, s -> s.size() == 2);
                assertEquals(List.of("PUT " + Keys.instance("db", "i1"), "DELETE " + Keys.instance("db", "i1")), seen);
            }
        }
    }
}
