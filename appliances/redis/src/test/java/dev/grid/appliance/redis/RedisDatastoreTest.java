package dev.grid.appliance.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.Datastore.Observation;
import dev.grid.appliance.Datastore.Peer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a Redis primary tells its keeper about its sync: WAIT 1 counts any attached replica, so the sync must be the only one. */
class RedisDatastoreTest {
    static final Peer SYNC = new Peer("n2", "127.0.0.3", 30002);

    @Test
    void theSyncIsActiveOnlyWhileItIsTheOneReplicaAttachedAndWritesWaitForIt() {
        Observation alone = RedisDatastore.primaryObservation(500, Map.of("127.0.0.3:30002", 480L), SYNC, true);
        assertEquals("n2", alone.activeSync());
        assertEquals("480", alone.syncDurable(), "the sync's acknowledged offset, which the keeper waits to reach the primary's");

        // An async not yet moved to the sync is still attached: it could confirm a WAIT 1 the sync lacks.
        Observation two = RedisDatastore.primaryObservation(500, Map.of("127.0.0.3:30002", 480L, "127.0.0.2:30001", 500L), SYNC, true);
        assertNull(two.activeSync(), two.message());
        assertNull(two.syncDurable(), "no sync active, so nothing it holds counts");
        assertTrue(two.message().contains("the sync among them"), two.message());

        assertNull(RedisDatastore.primaryObservation(500, Map.of("127.0.0.2:30001", 500L), SYNC, true).activeSync(), "another replica is no sync");
        assertNull(RedisDatastore.primaryObservation(500, Map.of("127.0.0.3:30002", 480L), SYNC, false).activeSync(),
                "min-replicas-to-write not applied yet");
        assertNull(RedisDatastore.primaryObservation(500, Map.of("127.0.0.3:30002", 480L), new Peer("n2", null, 0), true).activeSync(),
                "the sync's address not known yet");
        assertNull(RedisDatastore.primaryObservation(500, Map.of(), null, false).activeSync());
    }

    @Test
    void theAppliancePolicyCascadesAsTheDatastoreDoes() {
        assertEquals(new RedisDatastore().cascades(), new RedisAppliance().failover().cascade(),
                "the manager and the keepers must agree on whom the asyncs stream from");
        assertTrue(RedisProvider.spec("kv", 2).synchronous(), "only a sync known to be caught up is promoted");
    }
}
