package dev.grid.appliance.redis;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.Failover;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import java.time.Duration;

/** Redis: a dedicated cluster per add-on, a primary and replicas, asynchronous replication. */
public final class RedisAppliance implements Appliance {
    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Failover.Policy policy() {
        // Replication is asynchronous: the live replica that received the most is promoted.
        return new Failover.Policy(false, Duration.ofSeconds(10), 1, true);
    }

    @Override
    public Provider provider(Platform platform) {
        return new RedisProvider(platform);
    }
}
