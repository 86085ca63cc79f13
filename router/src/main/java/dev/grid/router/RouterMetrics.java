package dev.grid.router;

import dev.grid.core.App;
import dev.grid.core.Route;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The router's meters: HTTP requests by app and status, their latency as a histogram, and TCP
 * routes' connections and bytes. A request's meters are found without allocating (an app's
 * are made at its first request, a status's at its first use), and an app's go with its last
 * route, so that what is exported is bounded by the apps there are.
 *
 * <p>Requests that matched no route are counted under the app {@value #NO_APP}.
 */
final class RouterMetrics {
    static final String NO_APP = "-";
    /** The latency histogram's buckets: Prometheus' client defaults, which span a web app's answers. */
    static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final Map<String, AppMeters> apps = new ConcurrentHashMap<>();
    /** The same meters by service name ({@code APP.TYPE}), as requests find them. */
    private final Map<String, AppMeters> byService = new ConcurrentHashMap<>();
    private final Map<String, TcpMeters> routes = new ConcurrentHashMap<>();

    RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * One answered HTTP request to {@code service} (null: it matched no route), {@code nanos} from
     * its head to its answer's end. Counted under the service's app; the app's meters are found by
     * the service's name, so that no app name is cut out of it per request.
     */
    void request(String service, int status, long nanos) {
        String key = service == null ? NO_APP : service;
        // Not computeIfAbsent first: its capturing lambda would be allocated per request.
        AppMeters m = byService.get(key);
        if (m == null) m = byService.computeIfAbsent(key, s -> apps.computeIfAbsent(s.equals(NO_APP) ? NO_APP : App.appOf(s), a -> new AppMeters(registry, a)));
        m.byStatus(status).increment();
        m.latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Keeps the meters of {@code live} apps only (and of unrouted requests). */
    void retainApps(Set<String> live) {
        byService.values().removeIf(m -> !m.app.equals(NO_APP) && !live.contains(m.app));
        apps.entrySet().removeIf(e -> {
            if (e.getKey().equals(NO_APP) || live.contains(e.getKey())) return false;
            e.getValue().remove(registry);
            return true;
        });
    }

    /** A TCP route's meters, made at first use. */
    TcpMeters tcp(Route route) {
        return routes.computeIfAbsent(route.id(), id -> new TcpMeters(registry, route));
    }

    /** Keeps the meters of the TCP routes in {@code live} only. */
    void retainRoutes(Set<String> live) {
        routes.entrySet().removeIf(e -> {
            if (live.contains(e.getKey())) return false;
            e.getValue().remove(registry);
            return true;
        });
    }

    /** What is kept now, for tests. */
    Set<String> apps() {
        return Set.copyOf(apps.keySet());
    }

    private static final class AppMeters {
        private final String app;
        private final MeterRegistry registry;
        final Timer latency;
        /** Index: the status code; 0 for one outside 100..599. */
        private final AtomicReferenceArray<Counter> statuses = new AtomicReferenceArray<>(600);

        AppMeters(MeterRegistry registry, String app) {
            this.app = app;
            this.registry = registry;
            this.latency = Timer.builder("grid.router.request.duration").description("HTTP requests through the router, from their head to their answer's end")
                    .tag("app", app).serviceLevelObjectives(BUCKETS).register(registry);
        }

        Counter byStatus(int status) {
            int i = status >= 100 && status < 600 ? status : 0;
            Counter c = statuses.get(i);
            if (c != null) return c;
            c = Counter.builder("grid.router.requests").description("HTTP requests through the router, by app and status (499: the client left first)")
                    .tags("app", app, "status", i == 0 ? "other" : String.valueOf(i)).register(registry);
            statuses.compareAndSet(i, null, c); // the registry gives the same counter to a racing caller
            return c;
        }

        void remove(MeterRegistry registry) {
            registry.remove(latency);
            for (int i = 0; i < statuses.length(); i++) {
                Counter c = statuses.get(i);
                if (c != null) registry.remove(c);
            }
        }
    }

    /** A TCP route's connections and bytes. Kernel routes' bytes never reach the router: only their connections are counted. */
    static final class TcpMeters {
        final Counter relayed;
        final Counter refused;
        final Counter bytesIn;
        final Counter bytesOut;
        /** Connections the kernel took and refused, as read from the route's nftables counters. */
        final AtomicLong kernelAccepted = new AtomicLong();
        final AtomicLong kernelRefused = new AtomicLong();
        private final List<Meter> meters = new ArrayList<>();

        TcpMeters(MeterRegistry registry, Route route) {
            Tags tags = Tags.of("route", route.id(), "app", App.appOf(route.service()), "service", route.service());
            relayed = add(Counter.builder("grid.router.tcp.connections").description("Connections to TCP routes, by data path and outcome")
                    .tags(tags).tags("path", "relay", "outcome", "accepted").register(registry));
            refused = add(Counter.builder("grid.router.tcp.connections").tags(tags).tags("path", "relay", "outcome", "refused").register(registry));
            add(FunctionCounter.builder("grid.router.tcp.connections", kernelAccepted, AtomicLong::get).tags(tags)
                    .tags("path", "kernel", "outcome", "accepted").register(registry));
            add(FunctionCounter.builder("grid.router.tcp.connections", kernelRefused, AtomicLong::get).tags(tags)
                    .tags("path", "kernel", "outcome", "refused").register(registry));
            bytesIn = add(Counter.builder("grid.router.tcp.bytes").description("Bytes relayed by TCP routes (the relay's only: kernel routes' bytes stay in the kernel)")
                    .baseUnit("bytes").tags(tags).tags("direction", "in").register(registry));
            bytesOut = add(Counter.builder("grid.router.tcp.bytes").baseUnit("bytes").tags(tags).tags("direction", "out").register(registry));
        }

        private <M extends Meter> M add(M meter) {
            meters.add(meter);
            return meter;
        }

        void remove(MeterRegistry registry) {
            for (Meter m : meters) registry.remove(m);
        }
    }
}
