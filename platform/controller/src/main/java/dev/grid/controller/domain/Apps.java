package dev.grid.controller.domain;

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

    public Apps(Store store, Routes routes) {
        this.store = store;
        this.routes = routes;
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
        App app = new App(name, Instant.now());
        var txn = store.txn().ifUnchanged(Keys.app(name), 0).put(Keys.app(name), app);
        if (route != null) txn.put(Keys.route(route.id()), route);
        if (!txn.commit()) throw GridException.conflict("the name '" + name + "' is taken: choose another");
        return app;
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
        store.txn().delete(Keys.app(name)).delete(Keys.formation(name)).delete(Keys.route(Routes.defaultRouteId(name))).commit();
        store.deletePrefix(Keys.releases(name));
    }
}
