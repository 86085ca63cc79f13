package dev.grid.controller.domain;

import dev.grid.controller.ControllerConfig;
import dev.grid.core.GridException;
import dev.grid.core.Route;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** HTTP and TCP routes. Every check happens before anything is written; a TCP port is claimed in the same transaction as its route. */
@Singleton
public final class Routes {
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    /** APP.TYPE (an app's process type), or a system service such as an appliance cluster's. */
    private static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,29}(\\.[a-z][a-z0-9_-]{0,29})?");
    private final Store store;
    private final ControllerConfig config;

    public Routes(Store store, ControllerConfig config) {
        this.store = store;
        this.config = config;
    }

    public List<Route> list() {
        return store.values(Keys.ROUTES, Route.class).stream()
                .sorted(Comparator.comparing(Route::type).thenComparing(r -> r.type() == Route.Type.HTTP ? r.host() + r.path() : String.format("%05d", r.port())))
                .toList();
    }

    /** The route every app gets for its web process: APP.DOMAIN. */
    public static String defaultRouteId(String app) {
        return app + "-web";
    }

    public Route defaultRoute(String app) {
        return Route.http(defaultRouteId(app), app + "." + config.domain(), "/", dev.grid.core.App.service(app, "web"));
    }

    public Route addHttp(String host, String path, String service) {
        if (host == null || host.isBlank()) throw GridException.invalid("an HTTP route needs a host, e.g. www.example.com or *.example.com");
        String h = host.toLowerCase();
        if (!HOST.matcher(h).matches()) throw GridException.invalid("invalid host '" + host + "': use a DNS name, or *.name for a wildcard");
        String p = path == null || path.isBlank() ? "/" : path;
        if (!p.startsWith("/") || p.contains(" ") || p.contains("?")) throw GridException.invalid("invalid path '" + path + "': a path prefix starts with / and has no query");
        checkService(service);
        for (Route r : list()) {
            if (r.type() == Route.Type.HTTP && r.host().equals(h) && r.path().equals(p)) {
                throw GridException.conflict("a route for " + h + p + " exists already (" + r.id() + "): remove it first");
            }
        }
        // A new route of an app takes the answer timeout its other routes have (routes:timeout).
        int timeout = list().stream().filter(r -> r.type() == Route.Type.HTTP && sameApp(r.service(), service))
                .mapToInt(Route::timeoutSeconds).max().orElse(0);
        Route route = Route.http("http-" + UUID.randomUUID().toString().substring(0, 8), h, p, service).withTimeout(timeout);
        store.put(Keys.route(route.id()), route);
        return route;
    }

    public Route addTcp(String service, Integer port, boolean leader) {
        return addTcp(service, port, leader, Route.PUBLIC);
    }

    /** A TCP route that listens as {@code listen} says ({@link Route#PUBLIC}, or {@link Route#ADDON} for an add-on's). */
    public Route addTcp(String service, Integer port, boolean leader, String listen) {
        checkService(service);
        List<dev.grid.core.GridEndpoint> own = new java.util.ArrayList<>(store.values(Keys.ENDPOINTS, dev.grid.core.GridEndpoint.class));
        own.addAll(store.values(Keys.PUBLIC_ENDPOINTS, dev.grid.core.GridEndpoint.class));
        List<dev.grid.core.HostInfo> hosts = store.values(Keys.HOSTS, dev.grid.core.HostInfo.class);
        if (port != null) {
            if (port < 1 || port > 65535) throw GridException.invalid("invalid port " + port + ": use 1-65535");
            var taken = TcpPorts.taken(port, own, hosts);
            if (taken.isPresent()) {
                throw GridException.conflict(taken.get() + ": choose another, or leave --port out for one from "
                        + config.tcpPortMin() + "-" + config.tcpPortMax());
            }
            Route route = Route.tcp("tcp-" + port, port, service, leader, listen);
            if (!store.txn().ifUnchanged(Keys.tcpPort(port), 0).put(Keys.tcpPort(port), route.id()).put(Keys.route(route.id()), route).commit()) {
                throw GridException.conflict("port " + port + " is already taken by a TCP route");
            }
            return route;
        }
        for (int p = config.tcpPortMin(); p <= config.tcpPortMax(); p++) {
            if (store.get(Keys.tcpPort(p)).isPresent() || TcpPorts.taken(p, own, hosts).isPresent()) continue;
            Route route = Route.tcp("tcp-" + p, p, service, leader, listen);
            if (store.txn().ifUnchanged(Keys.tcpPort(p), 0).put(Keys.tcpPort(p), route.id()).put(Keys.route(route.id()), route).commit()) {
                return route;
            }
        }
        throw GridException.conflict("every port in the TCP route range " + config.tcpPortMin() + "-" + config.tcpPortMax() + " is taken");
    }

    /**
     * Gives every HTTP route of {@code app} (to any of its process types) {@code seconds} to
     * begin an answer before the router's 503 H12; 0 goes back to the router's 30 s.
     */
    public List<Route> setTimeout(String app, Integer seconds) {
        if (app == null || store.get(Keys.app(app)).isEmpty()) throw GridException.notFound("no app named '" + app + "': see 'grid apps'");
        if (seconds == null || seconds < 0 || seconds > Route.MAX_TIMEOUT_SECONDS) {
            throw GridException.invalid("invalid timeout " + seconds + ": use 1-" + Route.MAX_TIMEOUT_SECONDS + " seconds, or 0 for the router's 30 s");
        }
        List<Route> changed = new java.util.ArrayList<>();
        for (Route r : list()) {
            if (r.type() != Route.Type.HTTP || !sameApp(r.service(), dev.grid.core.App.service(app, "web"))) continue;
            Route updated = r.withTimeout(seconds);
            store.put(Keys.route(r.id()), updated);
            changed.add(updated);
        }
        if (changed.isEmpty()) throw GridException.conflict(app + " has no HTTP route: add one with 'grid routes:add http HOST -a " + app + "'");
        return changed;
    }

    /** Whether two services (APP.TYPE) are of one app. */
    private static boolean sameApp(String a, String b) {
        return a != null && b != null && a.contains(".") && b.contains(".") && dev.grid.core.App.appOf(a).equals(dev.grid.core.App.appOf(b));
    }

    /** The TCP route, listening as {@code listen} says from now on. */
    public Route setListen(Route route, String listen) {
        Route changed = route.listening(listen);
        store.put(Keys.route(route.id()), changed);
        return changed;
    }

    public Route remove(String id) {
        Route r = store.get(Keys.route(id), Route.class).orElseThrow(() -> GridException.notFound("no route with id '" + id + "': see 'grid routes'"));
        var txn = store.txn().delete(Keys.route(id));
        if (r.type() == Route.Type.TCP) txn.delete(Keys.tcpPort(r.port()));
        txn.commit();
        return r;
    }

    private static void checkService(String service) {
        if (service == null || !SERVICE.matcher(service).matches()) {
            throw GridException.invalid("invalid service '" + service + "': name a service such as APP.web (an app's process type)");
        }
    }
}
