package dev.grid.store;

import dev.grid.core.Formation;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Writes an app's next release and points its formation at it: the one way a release is made (API, builder, appliance managers). */
public final class Deploys {
    private Deploys() {}

    /**
     * Writes release vN+1 and points the formation at it, in one transaction (retried while
     * another release wins the version); empty if it kept losing.
     */
    public static Optional<Release> deploy(Store store, String app, String image, String slugUrl, Map<String, ProcessType> processes,
                                           Map<String, String> env, String description) {
        for (int tries = 0; tries < 20; tries++) {
            Snapshot existing = store.list(Keys.releases(app));
            int version = existing.values(Keys.releases(app), Release.class).mapToInt(Release::version).max().orElse(0) + 1;
            String id = app + "-v" + version;
            Release release = new Release(id, app, version, image, processes, env, Instant.now(), description, slugUrl);
            Entry formationEntry = store.get(Keys.formation(app)).orElse(null);
            Formation old = formationEntry == null ? null : formationEntry.as(Formation.class);
            Map<String, Integer> counts = new HashMap<>(old == null ? Map.of() : old.processes());
            // As on Heroku, web starts at 1 the first time a release has it; an explicit count (even 0) is kept.
            if (processes.containsKey("web")) counts.putIfAbsent("web", 1);
            boolean ok = store.txn()
                    .ifUnchanged(Keys.release(app, id), 0)
                    .ifUnchanged(Keys.formation(app), formationEntry == null ? 0 : formationEntry.modRevision())
                    .put(Keys.release(app, id), release)
                    .put(Keys.formation(app), new Formation(app, id, counts))
                    .commit();
            if (ok) return Optional.of(release);
        }
        return Optional.empty();
    }

    /** The release the app's formation runs now. */
    public static Optional<Release> current(Store store, String app) {
        return store.get(Keys.formation(app), Formation.class).flatMap(f -> store.get(Keys.release(app, f.releaseId()), Release.class));
    }
}
