package dev.grid.server;

import dev.grid.appliance.Appliance;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The appliances on Grid's classpath (ServiceLoader): Postgres, and any community jar beside it. */
final class Appliances {
    private Appliances() {}

    static List<Appliance> installed() {
        List<Appliance> out = new ArrayList<>();
        ServiceLoader.load(Appliance.class).forEach(out::add);
        return out;
    }
}
