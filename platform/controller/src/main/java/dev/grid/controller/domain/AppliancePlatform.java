package dev.grid.controller.domain;

import dev.grid.appliance.Platform;
import dev.grid.blobs.Blobs;
import dev.grid.controller.ApplianceCatalog;
import dev.grid.controller.ControllerConfig;
import dev.grid.core.ProcessType;
import dev.grid.core.Route;
import java.util.List;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;

/** Layer 0 and routes as appliance providers see them: through the same domain objects as the API. */
@Singleton
public final class AppliancePlatform implements Platform {
    private final Store store;
    private final ControllerConfig config;
    private final ApplianceCatalog catalog;
    private final Apps apps;
    private final Releases releases;
    private final Formations formations;
    private final Routes routes;

    public AppliancePlatform(Store store, ControllerConfig config, ApplianceCatalog catalog, Apps apps, Releases releases,
                             Formations formations, Routes routes) {
        this.store = store;
        this.config = config;
        this.catalog = catalog;
        this.apps = apps;
        this.releases = releases;
        this.formations = formations;
        this.routes = routes;
    }

    @Override
    public dev.grid.appliance.ClusterStore clusterStore() {
        return new dev.grid.appliance.ClusterStore(store);
    }

    @Override
    public dev.grid.store.LeaderElection election(String name, String candidate, int ttlSeconds) {
        return new dev.grid.store.LeaderElection(store, name, candidate, ttlSeconds);
    }

    @Override
    public List<String> hostAddresses() {
        return store.values(dev.grid.store.Keys.HOSTS, dev.grid.core.HostInfo.class).stream().map(dev.grid.core.HostInfo::address).toList();
    }

    @Override
    public Blobs blobs() {
        if (catalog.blobs() == null) throw new IllegalStateException("this controller has no blob store");
        return catalog.blobs();
    }

    @Override
    public java.nio.file.Path localDir(String name) {
        try {
            return java.nio.file.Files.createDirectories(blobs().dir().toAbsolutePath().getParent().resolve(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public String localAddress() {
        return catalog.machineAddress();
    }

    /** This controller's lease for the ports appliances register, made on first use; it lives as long as the process. */
    private dev.grid.store.Lease endpointsLease;

    @Override
    public synchronized void registerEndpoint(String what, String address, int port) {
        if (endpointsLease == null || !endpointsLease.isAlive()) endpointsLease = store.lease(10);
        dev.grid.core.GridEndpoint.register(store, endpointsLease.id(), new dev.grid.core.GridEndpoint(what, address, port));
    }

    @Override
    public String keeperJavaOptions() {
        return config.keeperJavaOptions() == null ? "" : config.keeperJavaOptions();
    }

    @Override
    public void runApp(String app, Map<String, ProcessType> processes, Map<String, String> env, String slugUrl) {
        apps.createSystem(app);
        if (releases.current(app).isEmpty()) releases.create(app, config.stackImage(), slugUrl, processes, env);
        Map<String, Integer> counts = new HashMap<>();
        processes.keySet().forEach(t -> counts.put(t, 1));
        formations.scale(app, counts);
    }

    @Override
    public void destroyApp(String app, boolean deleteVolumes) {
        if (store.get(dev.grid.store.Keys.app(app)).isEmpty()) return;
        if (deleteVolumes) store.put(dev.grid.store.Keys.DELETED_VOLUMES + app, java.time.Instant.now().toString());
        apps.destroy(app);
    }

    @Override
    public Endpoint tcpEndpoint(String service) {
        Route route = routes.list().stream().filter(r -> r.type() == Route.Type.TCP && service.equals(r.service()) && r.leader())
                .findFirst().orElseGet(() -> routes.addTcp(service, null, true, Route.ADDON));
        return new Endpoint(config.addonHost(), route.port());
    }

    /** The services' TCP routes. */
    List<Route> tcpRoutes(java.util.Collection<String> services) {
        return routes.list().stream().filter(r -> r.type() == Route.Type.TCP && services.contains(r.service())).toList();
    }

    /** Opens the services' TCP routes beyond where apps reach add-ons ({@code exposed}), or closes them back to it. */
    List<Route> expose(java.util.Collection<String> services, boolean exposed) {
        List<Route> changed = new java.util.ArrayList<>();
        for (Route r : tcpRoutes(services)) changed.add(routes.setListen(r, exposed ? Route.PUBLIC : Route.ADDON));
        return changed;
    }

    @Override
    public void removeTcpEndpoint(String service) {
        routes.list().stream().filter(r -> r.type() == Route.Type.TCP && service.equals(r.service())).forEach(r -> routes.remove(r.id()));
    }
}
