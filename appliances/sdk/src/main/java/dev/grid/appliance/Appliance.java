package dev.grid.appliance;

/**
 * A datastore packaged for Grid. Implementations are found with {@link java.util.ServiceLoader}
 * (a {@code META-INF/services/dev.grid.appliance.Appliance} entry), so a community appliance
 * is a jar on Grid's classpath and no change to Grid.
 */
public interface Appliance {
    /** The name users give to {@code grid addons:create}, e.g. "postgres". */
    String name();

    /** How its clusters fail over; the manager applies these rules to each cluster as its spec says. */
    Failover.Rules failover();

    /** The provider the controller calls to provision and describe resources. */
    Provider provider(Platform platform);
}
