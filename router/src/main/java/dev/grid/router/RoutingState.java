package dev.grid.router;

import dev.grid.core.Certificate;
import dev.grid.core.Instance;
import dev.grid.core.Route;
import dev.grid.discovery.Discovery;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Routes, backends and certificates, live from etcd. Each prefix ({@code routes/},
 * {@code services/}, {@code certs/}) is kept by a {@link StoreMirror}, and every change yields one
 * new immutable {@link View} that the proxies read without locks; nothing restarts or reloads.
 * A change rebuilds only what it touched: an instance that comes or goes rebuilds its service's
 * backends alone, and reads nothing of etcd, so the cost of a change does not grow with the
 * number of apps.
 */
public final class RoutingState implements AutoCloseable {
    /** {@code maintenance}: the apps in maintenance mode ({@link Keys#MAINTENANCE}). */
    public record View(RouteTable http, Map<Integer, Route> tcp, Map<String, ServiceBackends> services, List<Certificate> certs,
                       Set<String> maintenance) {
        public ServiceBackends service(String name) {
            return services.getOrDefault(name, ServiceBackends.NONE);
        }
    }

    private final Store store;
    private final CoalescedTask rebuilds = new CoalescedTask("router-state", this::rebuild);
    private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
    private StoreMirror routes;
    private StoreMirror services;
    private StoreMirror certs;
    private StoreMirror maintenance;
    private volatile boolean maintenanceDirty = true;
    /** What changed since the last rebuild: services by name, or everything of a prefix (its mirror read etcd again). */
    private final Set<String> dirtyServices = ConcurrentHashMap.newKeySet();
    private volatile boolean allServicesDirty = true;
    private volatile boolean routesDirty = true;
    private volatile boolean certsDirty = true;
    /** Per service, its backends by instance, address and port: the same object while they stay, so in-flight counts carry over. */
    private final Map<String, Map<String, Backend>> known = new HashMap<>();
    private volatile View view = new View(new RouteTable(List.of()), Map.of(), Map.of(), List.of(), Set.of());

    public RoutingState(Store store) {
        this.store = store;
    }

    /** Reads the state and builds the first view before it returns; then follows the changes. */
    public synchronized RoutingState start() {
        routes = StoreMirror.withChangedKeys(store, List.of(Keys.ROUTES), keys -> {
            routesDirty = true;
            rebuilds.request();
        });
        services = StoreMirror.withChangedKeys(store, List.of(Keys.SERVICES), keys -> {
            if (keys == null) allServicesDirty = true;
            else for (String k : keys) dirtyServices.add(serviceOf(k));
            rebuilds.request();
        });
        certs = StoreMirror.withChangedKeys(store, List.of(Keys.CERTS), keys -> {
            certsDirty = true;
            rebuilds.request();
        });
        maintenance = StoreMirror.withChangedKeys(store, List.of(Keys.MAINTENANCE), keys -> {
            maintenanceDirty = true;
            rebuilds.request();
        });
        rebuild();
        return this;
    }

    /** The process type of an app's service (APP.TYPE), or the service's own name if it is no app's. */
    static String typeOf(String service) {
        int dot = service.indexOf('.');
        return dot < 0 ? service : service.substring(dot + 1);
    }

    /** The service a key under {@code services/} belongs to. */
    static String serviceOf(String key) {
        int from = Keys.SERVICES.length();
        int slash = key.indexOf('/', from);
        return slash < 0 ? key.substring(from) : key.substring(from, slash);
    }

    public View view() {
        return view;
    }

    /** Called with every new view, on the rebuild thread. */
    public void onChange(Consumer<View> listener) {
        listeners.add(listener);
        listener.accept(view);
    }

    private synchronized void rebuild() {
        View was = view;
        RouteTable http = was.http();
        Map<Integer, Route> tcp = was.tcp();
        List<Certificate> certList = was.certs();
        Set<String> inMaintenance = was.maintenance();
        Map<String, ServiceBackends> backends = was.services();
        boolean changed = false;
        if (routesDirty) {
            routesDirty = false;
            List<Route> all = routes.values(Keys.ROUTES, Route.class);
            Map<Integer, Route> byPort = new HashMap<>();
            for (Route r : all) if (r.type() == Route.Type.TCP) byPort.put(r.port(), r);
            http = new RouteTable(all);
            tcp = Map.copyOf(byPort);
            changed = true;
        }
        if (certsDirty) {
            certsDirty = false;
            certList = certs.values(Keys.CERTS, Certificate.class);
            changed = true;
        }
        if (maintenanceDirty) {
            maintenanceDirty = false;
            Set<String> apps = new HashSet<>();
            for (Entry e : maintenance.entries(Keys.MAINTENANCE)) apps.add(e.name());
            inMaintenance = Set.copyOf(apps);
            changed = true;
        }
        Set<String> touched = new HashSet<>();
        if (allServicesDirty) {
            allServicesDirty = false;
            dirtyServices.clear();
            for (Entry e : services.entries(Keys.SERVICES)) touched.add(serviceOf(e.key()));
            touched.addAll(known.keySet());
        } else {
            for (var it = dirtyServices.iterator(); it.hasNext(); ) {
                touched.add(it.next());
                it.remove();
            }
        }
        if (!touched.isEmpty()) {
            Map<String, ServiceBackends> next = new HashMap<>(backends);
            for (String service : touched) {
                ServiceBackends b = backendsOf(service);
                if (b == null) next.remove(service);
                else next.put(service, b);
            }
            backends = Map.copyOf(next);
            changed = true;
        }
        if (!changed) return;
        view = new View(http, tcp, backends, certList, inMaintenance);
        for (Consumer<View> l : listeners) l.accept(view);
    }

    /** One service's live backends and leader, from the mirror; null when it has no instance. Drains the backends that went. */
    private ServiceBackends backendsOf(String service) {
        List<Entry> entries = services.entries(Keys.SERVICES + service + "/");
        Map<String, Backend> was = known.getOrDefault(service, Map.of());
        Map<String, Backend> live = new HashMap<>();
        List<Backend> list = new ArrayList<>();
        String instances = Keys.instances(service);
        for (Entry e : entries) {
            if (!e.key().startsWith(instances)) continue;
            Instance i = services.value(e.key(), Instance.class);
            String key = i.id() + "/" + i.address() + ":" + i.port();
            Backend b = was.get(key);
            if (b == null) b = new Backend(i.id(), new InetSocketAddress(i.address(), i.port()), typeOf(service), i.jobId() != null ? i.jobId() : i.id());
            live.put(key, b);
            list.add(b);
        }
        for (var e : was.entrySet()) {
            if (!live.containsKey(e.getKey())) e.getValue().removed = true; // drain: in-flight requests finish, nothing new goes there
        }
        if (live.isEmpty()) {
            known.remove(service);
            return null;
        }
        known.put(service, live);
        String leaderId = Discovery.leaderOf(new Snapshot(0, entries), service).map(Instance::id).orElse(null);
        Backend leader = list.stream().filter(b -> b.id.equals(leaderId)).findFirst().orElse(null);
        return new ServiceBackends(List.copyOf(list), leader);
    }

    @Override
    public void close() {
        for (StoreMirror m : new StoreMirror[] {routes, services, certs, maintenance}) if (m != null) m.close();
        rebuilds.close();
    }
}
