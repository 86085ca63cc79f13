package dev.grid.controller.domain;

import dev.grid.core.Formation;
import dev.grid.core.GridException;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Releases are immutable; creating one deploys it by pointing the app's formation at it. */
@Singleton
public final class Releases {
    private final Store store;
    private final Apps apps;

    public Releases(Store store, Apps apps) {
        this.store = store;
        this.apps = apps;
    }

    public Release create(String app, String image, Map<String, ProcessType> processes, Map<String, String> env) {
        apps.get(app);
        if (image == null || image.isBlank()) throw GridException.invalid("an image is required: name a local Docker image");
        if (processes == null || processes.isEmpty()) throw GridException.invalid("a release needs at least one process type, e.g. web");
        for (var e : processes.entrySet()) {
            String problem = ProcessType.typeProblem(e.getKey());
            if (problem != null) throw GridException.invalid(problem);
            if (e.getValue() == null || e.getValue().command() == null || e.getValue().command().isBlank()) {
                throw GridException.invalid("process type '" + e.getKey() + "' has no command");
            }
        }
        if (env != null) {
            for (String k : env.keySet()) {
                if (!k.matches("[A-Za-z_][A-Za-z0-9_]*")) throw GridException.invalid("invalid config var name '" + k + "'");
            }
        }
        for (int tries = 0; tries < 20; tries++) {
            Snapshot existing = store.list(Keys.releases(app));
            int version = existing.values(Keys.releases(app), Release.class).mapToInt(Release::version).max().orElse(0) + 1;
            String id = app + "-v" + version;
            Release release = new Release(id, app, version, image, processes, env, Instant.now());
            Entry formationEntry = store.get(Keys.formation(app)).orElse(null);
            Formation old = formationEntry == null ? null : formationEntry.as(Formation.class);
            Map<String, Integer> counts = new HashMap<>(old == null ? Map.of() : old.processes());
            if (old == null && processes.containsKey("web")) counts.put("web", 1);
            Formation formation = new Formation(app, id, counts);
            boolean ok = store.txn()
                    .ifUnchanged(Keys.release(app, id), 0)
                    .ifUnchanged(Keys.formation(app), formationEntry == null ? 0 : formationEntry.modRevision())
                    .put(Keys.release(app, id), release)
                    .put(Keys.formation(app), formation)
                    .commit();
            if (ok) return release;
        }
        throw GridException.conflict("too many concurrent releases of " + app + "; try again");
    }

    public List<Release> list(String app) {
        apps.get(app);
        return store.values(Keys.releases(app), Release.class).stream()
                .sorted(Comparator.comparingInt(Release::version).reversed()).toList();
    }

    public Optional<Release> current(String app) {
        return store.get(Keys.formation(app), Formation.class)
                .flatMap(f -> store.get(Keys.release(app, f.releaseId()), Release.class));
    }
}
