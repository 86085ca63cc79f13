package dev.grid.appliance.postgres;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.Failover;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import java.time.Duration;

/** Postgres: one shared three-node cluster (primary, sync, async); a database and role per add-on. */
public final class PostgresAppliance implements Appliance {
    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public Failover.Rules failover() {
        // A primary that restarted (its container killed and back before its lease ran out) is
        // replaced like a lost one when the caught-up sync can take over: a kill is a failover
        // whatever the timing. With no promotable sync it is simply accepted back.
        return new Failover.Rules(Duration.ofSeconds(10), 2, true, false);
    }

    @Override
    public Provider provider(Platform platform) {
        return new PostgresProvider(platform);
    }
}
