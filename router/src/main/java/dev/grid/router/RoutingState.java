package dev.grid.router;

import dev.grid.core.Certificate;
import dev.grid.core.Instance;
import dev.grid.core.Route;
import dev.grid.discovery.Discovery;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes, backends and certificates, live from etcd. Every change to {@code routes/},
 * {@code services/} or {@code certs/} rebuilds one immutable {@link View} that the proxies read
 * without locks; nothing restarts or reloads.
 */
public final class RoutingState implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoutingState.class);

    public record View(RouteTable http, Map<Integer, Route> tcp, Map<String, ServiceBackends> services, List<Certificate> certs) {
        public ServiceBackends service(String name) {
            return services.getOrDefault(name, ServiceBackends.NONE);
        }
    }

    private final Store store;
    private final CoalescedTask rebuilds = new CoalescedTask("router-state", this::rebuild);
    private final Map<String, Backend> known = new HashMap<>();
    private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
    private final List<Subscription> watches = new ArrayList<>();
    private volatile View view = new View(new RouteTable(List.of()), Map.of(), Map.of(), List.of());

    public RoutingState(Store store) {
        this.store = store;
    }

    public RoutingState start() {
        long rev = rebuild();
        for (String prefix : List.of(Keys.ROUTES, Keys.SERVICES, Keys.CERTS)) {
            watches.add(store.watch(prefix, rev + 1, c -> rebuilds.request(), rebuilds::request));
        }
        return this;
    }

    public View view() {
        return view;
    }

    /** Called with every new view, on the rebuild thread. */
    public void onChange(Consumer<View> listener) {
        listeners.add(listener);
        listener.accept(view);
    }

    private synchronized long rebuild() {
        Snapshot routes = store.list(Keys.ROUTES);
        Snapshot services = store.list(Keys.SERVICES);
        Snapshot certs = store.list(Keys.CERTS);
        List<Route> all = routes.values(Keys.ROUTES, Route.class).toList();
        Map<Integer, Route> tcp = new HashMap<>();
        for (Route r : all) if (r.type() == Route.Type.TCP) tcp.put(r.port(), r);

        Map<String, List<Instance>> byService = new HashMap<>();
        services.under(Keys.SERVICES).filter(e -> e.key().contains("/instances/")).map(e -> e.as(Instance.class))
                .forEach(i -> byService.computeIfAbsent(i.service(), k -> new ArrayList<>()).add(i));
        Map<String, Backend> live = new HashMap<>();
        Map<String, ServiceBackends> backends = new HashMap<>();
        for (var e : byService.entrySet()) {
            List<Backend> list = new ArrayList<>();
            for (Instance i : e.getValue()) {
                String key = e.getKey() + "/" + i.id() + "/" + i.address() + ":" + i.port();
                Backend b = known.get(key);
                if (b == null) b = new Backend(i.id(), new InetSocketAddress(i.address(), i.port()));
                live.put(key, b);
                list.add(b);
            }
            String leaderId = Discovery.leaderOf(services, e.getKey()).map(Instance::id).orElse(null);
            Backend leader = list.stream().filter(b -> b.id.equals(leaderId)).findFirst().orElse(null);
            backends.put(e.getKey(), new ServiceBackends(List.copyOf(list), leader));
        }
        for (var e : known.entrySet()) {
            if (!live.containsKey(e.getKey())) e.getValue().removed = true; // drain: in-flight requests finish, nothing new goes there
        }
        known.clear();
        known.putAll(live);
        view = new View(new RouteTable(all), Map.copyOf(tcp), Map.copyOf(backends), certs.values(Keys.CERTS, Certificate.class).toList());
        for (Consumer<View> l : listeners) l.accept(view);
        return Math.max(certs.revision(), Math.max(routes.revision(), services.revision()));
    }

    @Override
    public void close() {
        watches.forEach(Subscription::close);
        rebuilds.close();
    }
}
