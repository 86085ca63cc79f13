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

    public Upgrades(Store store, Apps apps, Releases releases) {
        this.store = store;
        this.apps = apps;
        this.releases = releases;
    }

    public void run() {
        renameServices();
        apps.giveMissingUids();
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
            store.put(Keys.route(r.id()), new Route(r.id(), r.type(), r.host(), r.path(), renamed.get(), r.port(), r.leader(), r.createdAt()));
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
