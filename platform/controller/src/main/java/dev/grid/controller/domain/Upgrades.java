package dev.grid.controller.domain;

import dev.grid.core.App;
import dev.grid.core.Route;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a controller brings up to date in state an earlier Grid wrote, once, when it starts. */
@Singleton
public final class Upgrades {
    private static final Logger log = LoggerFactory.getLogger(Upgrades.class);
    private final Store store;
    private final Apps apps;
    private final Releases releases;
    private final Addons addons;
    private final List<Thread> background = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Upgrades(Store store, Apps apps, Releases releases, Addons addons) {
        this.store = store;
        this.apps = apps;
        this.releases = releases;
        this.addons = addons;
    }

    public void run() {
        renameServices();
        apps.giveMissingUids();
        decideListen();
        // Their datastores may still be starting: in the background, until each is done.
        background.add(addons.upgradeAll(java.time.Duration.ofSeconds(15), java.time.Duration.ofMinutes(30)));
        background.add(addons.refreshEnv(java.time.Duration.ofSeconds(15)));
    }

    /** The controller stops: so do its background rounds. */
    @jakarta.annotation.PreDestroy
    public void stop() {
        background.forEach(Thread::interrupt);
    }

    /**
     * Routes an earlier Grid wrote say nothing of where they listen: an add-on's (its service is
     * a system app's, an appliance cluster) is open only where apps reach add-ons from now on,
     * as a new one is; any other stays public.
     */
    private void decideListen() {
        for (Route r : store.values(Keys.ROUTES, Route.class)) {
            if (r.listen() != null) continue;
            String listen = listenOf(r);
            store.put(Keys.route(r.id()), r.listening(listen));
            log.info("route {}: listens {}", r.id(), Route.ADDON.equals(listen) ? "only where apps reach add-ons (GRID_ADDON_HOST)" : "publicly");
        }
    }

    /** Where a route an earlier Grid wrote listens now. */
    static String listenOf(Route r) {
        if (r.type() != Route.Type.TCP || r.service() == null) return Route.PUBLIC;
        return App.isSystem(App.appOf(r.service())) ? Route.ADDON : Route.PUBLIC;
    }

    /** Routes name services APP.TYPE now; an earlier Grid named them APP-TYPE. */
    private void renameServices() {
        List<Route> routes = store.values(Keys.ROUTES, Route.class);
        if (routes.stream().noneMatch(r -> r.service() != null && !r.service().contains("."))) return;
        Map<String, Set<String>> types = new TreeMap<>();
        for (App app : apps.list()) {
            Set<String> t = new TreeSet<>(Set.of("web"));
            releases.current(app.name()).ifPresent(r -> t.addAll(r.processes().keySet()));
            types.put(app.name(), t);
        }
        for (Route r : routes) {
            if (r.service() == null || r.service().contains(".")) continue;
            Optional<String> renamed = renamedService(r.service(), types);
            if (renamed.isEmpty()) continue;
            store.put(Keys.route(r.id()), new Route(r.id(), r.type(), r.host(), r.path(), renamed.get(), r.port(), r.leader(), r.createdAt(), r.listen(), r.timeoutSeconds()));
            log.info("route {}: service {} is now {}", r.id(), r.service(), renamed.get());
        }
    }

    /**
     * The APP.TYPE an earlier Grid meant by APP-TYPE: the one pair of an existing app and one of its
     * process types that spells it. None if no pair does (a system service such as an appliance
     * cluster's keeps its name) or if two do (the ambiguity the new names remove; logged).
     */
    static Optional<String> renamedService(String old, Map<String, Set<String>> typesByApp) {
        List<String> matches = new ArrayList<>();
        typesByApp.forEach((app, types) -> {
            for (String type : types) if ((app + "-" + type).equals(old)) matches.add(App.service(app, type));
        });
        if (matches.size() > 1) log.warn("route service {} could mean {}: left as it is, set it again with routes:add", old, matches);
        return matches.size() == 1 ? Optional.of(matches.get(0)) : Optional.empty();
    }
}
