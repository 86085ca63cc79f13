package dev.grid.appliance.redis;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.Failover;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import java.time.Duration;

/**
 * Redis: a dedicated cluster per add-on, a primary and replicas. Replication is asynchronous, but
 * one replica is the sync: the only one attached to the primary (the others stream from it), so a
 * write {@code WAIT 1} confirms is on it, and only it is promoted, once known to hold every such write.
 */
public final class RedisAppliance implements Appliance {
    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Failover.Rules failover() {
        // The asyncs cascade from the sync (RedisDatastore.cascades).
        return new Failover.Rules(Duration.ofSeconds(10), 1, true, true);
    }

    @Override
    public Provider provider(Platform platform) {
        return new RedisProvider(platform);
    }
}
