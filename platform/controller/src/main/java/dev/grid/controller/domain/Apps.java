package dev.grid.controller.domain;

import dev.grid.controller.ControllerConfig;
import dev.grid.core.App;
import dev.grid.core.GridException;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

@Singleton
public final class Apps {
    private final Store store;
    private final Routes routes;
    private final ControllerConfig config;

    public Apps(Store store, Routes routes, ControllerConfig config) {
        this.store = store;
        this.routes = routes;
        this.config = config;
    }

    public App create(String name) {
        String problem = App.nameProblem(name);
        if (problem != null) throw GridException.invalid(problem);
        if (App.isSystem(name))
            throw GridException.invalid("app names starting with '" + App.SYSTEM_PREFIX + "' are reserved for Grid's own apps: choose another");
        // Every app's web process is reachable at APP.DOMAIN from the start.
        return create(name, routes.defaultRoute(name));
    }

    /** One of Grid's own apps (an appliance cluster): no web route; returns the existing one if it exists. */
    public App createSystem(String name) {
        if (!App.isSystem(name) || App.nameProblem(name) != null) throw new IllegalArgumentException("not a system app name: " + name);
        return store.get(Keys.app(name), App.class).orElseGet(() -> create(name, null));
    }

    private App create(String name, dev.grid.core.Route route) {
        for (int tries = 0; tries < 20; tries++) {
            if (store.get(Keys.app(name)).isPresent()) break;
            // An app's processes and builds run as its own UID; Grid's own apps' data nodes as root.
            Integer uid = route == null ? null : freeUid();
            App app = new App(name, Instant.now(), uid);
            var txn = store.txn().ifUnchanged(Keys.app(name), 0).put(Keys.app(name), app);
            if (uid != null) txn.ifUnchanged(Keys.uidClaim(uid), 0).put(Keys.uidClaim(uid), name);
            if (route != null) txn.put(Keys.route(route.id()), route);
            if (txn.commit()) return app;
        }
        throw GridException.conflict("the name '" + name + "' is taken: choose another");
    }

    /** The next UID no app was ever given. */
    private int freeUid() {
        List<Integer> given = store.list(Keys.UID_CLAIMS).entries().stream().map(e -> Integer.valueOf(e.name())).toList();
        return App.nextUid(given, config.appUidMin(), config.appUidMax()).orElseThrow(() -> GridException.conflict(
                "every app UID in " + config.appUidMin() + "-" + config.appUidMax() + " is taken: widen GRID_APP_UIDS"));
    }

    /** Gives a UID to each app an earlier Grid made without one (its jobs cannot start until it has one). */
    public void giveMissingUids() {
        for (var e : store.list(Keys.APPS).entries()) {
            App app = e.as(App.class);
            if (app.uid() != null || App.isSystem(app.name())) continue;
            int uid = freeUid();
            if (store.txn().ifUnchanged(e.key(), e.modRevision()).ifUnchanged(Keys.uidClaim(uid), 0)
                    .put(e.key(), new App(app.name(), app.createdAt(), uid)).put(Keys.uidClaim(uid), app.name()).commit()) {
                org.slf4j.LoggerFactory.getLogger(Apps.class).info("app {} runs as UID {} from now on", app.name(), uid);
            }
        }
    }

    public List<App> list() {
        return store.values(Keys.APPS, App.class).stream().sorted(Comparator.comparing(App::name)).toList();
    }

    public App get(String name) {
        return store.get(Keys.app(name), App.class)
                .orElseThrow(() -> GridException.notFound("no app named '" + name + "': see 'grid apps'"));
    }

    /** Removes the app, its desired state and its default route; the scheduler then stops its jobs. Other routes stay. */
    public void destroy(String name) {
        get(name);
        store.txn().delete(Keys.app(name)).delete(Keys.formation(name)).delete(Keys.route(Routes.defaultRouteId(name)))
                .delete(Keys.maintenance(name)).commit();
        store.deletePrefix(Keys.releases(name));
        store.deletePrefix(Keys.drains(name));
    }

    /**
     * Renames an app ({@link AppRename}): it keeps its UID, releases (as {@code NEW-vN}), config,
     * add-ons, drains and routes; its processes restart under the new name, as the scheduler
     * replaces the old name's jobs with the new one's. Refused, changing nothing, for a name that
     * is invalid, taken, or Grid's own.
     */
    public App rename(String from, String to) {
        App app = get(from);
        if (App.isSystem(from)) throw GridException.invalid(from + " is one of Grid's own apps: it keeps its name");
        String problem = App.nameProblem(to);
        if (problem != null) throw GridException.invalid(problem);
        if (App.isSystem(to)) throw GridException.invalid("app names starting with '" + App.SYSTEM_PREFIX + "' are reserved for Grid's own apps: choose another");
        if (to.equals(from)) throw GridException.invalid(from + " is already called " + to);
        if (store.get(Keys.app(to)).isPresent()) throw GridException.conflict("the name '" + to + "' is taken: choose another");
        var appEntry = store.get(Keys.app(from)).orElseThrow();
        var formationEntry = store.get(Keys.formation(from)).orElse(null);
        AppRename.Current now = new AppRename.Current(app, store.values(Keys.releases(from), dev.grid.core.Release.class),
                formationEntry == null ? null : formationEntry.as(dev.grid.core.Formation.class),
                store.values(Keys.ROUTES, dev.grid.core.Route.class), store.values(Addons.KEY, Addon.class),
                store.values(Keys.drains(from), dev.grid.drains.Drains.Drain.class),
                store.get(Keys.maintenance(from)).map(e -> (Object) e.as(java.util.Map.class)).orElse(null));
        AppRename.Plan plan = AppRename.plan(now, to, config.domain());
        plan.releases().forEach(store::put);
        var txn = store.txn().ifUnchanged(Keys.app(from), appEntry.modRevision()).ifUnchanged(Keys.app(to), 0)
                .ifUnchanged(Keys.formation(from), formationEntry == null ? 0 : formationEntry.modRevision());
        plan.switchOver().forEach((key, value) -> {
            if (value == null) txn.delete(key);
            else txn.put(key, value);
        });
        if (!txn.commit()) {
            plan.releases().keySet().forEach(store::delete);
            throw GridException.conflict(from + " changed while it was being renamed (a deploy, a scale, or another rename): nothing was renamed; try again");
        }
        plan.oldReleases().forEach(store::delete);
        store.deletePrefix(Keys.UNPLACED + from + "/");
        return get(to);
    }

    /** Turns maintenance mode on or off: while on, the router answers the app's requests 503 with a page (Heroku's H80). */
    public void maintenance(String name, boolean on) {
        get(name);
        if (on) store.put(Keys.maintenance(name), java.util.Map.of("since", java.time.Instant.now().toString()));
        else store.delete(Keys.maintenance(name));
    }

    public boolean inMaintenance(String name) {
        return store.get(Keys.maintenance(name)).isPresent();
    }
}
