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

    public Apps(Store store) {
        this.store = store;
    }

    public App create(String name) {
        String problem = App.nameProblem(name);
        if (problem != null) throw GridException.invalid(problem);
        App app = new App(name, Instant.now());
        if (!store.txn().ifUnchanged(Keys.app(name), 0).put(Keys.app(name), app).commit()) {
            throw GridException.conflict("the name '" + name + "' is taken: choose another");
        }
        return app;
    }

    public List<App> list() {
        return store.values(Keys.APPS, App.class).stream().sorted(Comparator.comparing(App::name)).toList();
    }

    public App get(String name) {
        return store.get(Keys.app(name), App.class)
                .orElseThrow(() -> GridException.notFound("no app named '" + name + "': see 'grid apps'"));
    }

    /** Removes the app and its desired state; the scheduler then stops its jobs. */
    public void destroy(String name) {
        get(name);
        store.txn().delete(Keys.app(name)).delete(Keys.formation(name)).commit();
        store.deletePrefix(Keys.releases(name));
    }
}
