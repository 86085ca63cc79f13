package dev.grid.appliance.mariadb;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.Failover;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import java.time.Duration;

/** MariaDB 10.11: one shared three-node cluster, a database and a user per add-on. */
public final class MariaDbAppliance implements Appliance {
    @Override
    public String name() {
        return "mariadb";
    }

    @Override
    public Failover.Rules failover() {
        // A primary killed and back within its lease is failed over like a lost one when the caught-up
        // sync can take over; the asyncs stream from the sync (MariaDbDatastore.cascades).
        return new Failover.Rules(Duration.ofSeconds(10), 2, true, true, MariaDbDatastore.POSITIONS);
    }

    @Override
    public Provider provider(Platform platform) {
        return new MariaDbProvider(platform);
    }
}
