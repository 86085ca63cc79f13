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

    /** What a new release holds. */
    public record Next(String image, String slugUrl, Map<String, ProcessType> processes, Map<String, String> env, String description) {}

    /**
     * Writes release vN+1 and points the formation at it, in one transaction (retried while
     * another release wins the version); empty if it kept losing.
     */
    public static Optional<Release> deploy(Store store, String app, String image, String slugUrl, Map<String, ProcessType> processes,
                                           Map<String, String> env, String description) {
        Next next = new Next(image, slugUrl, processes, env, description);
        return change(store, app, current -> next);
    }

    /**
     * Writes the release {@code next} makes of the current one (empty before the first), and points
     * the formation at it, in one transaction that holds only while the formation still points
     * where {@code next} was given: a change made meanwhile (another config var, a push, a keeper
     * upgrade) makes it try again on top of that one, so that no change is lost. {@code next} may
     * run several times, and may throw to refuse. Empty if it kept losing (100 tries, each after a random pause).
     */
    public static Optional<Release> change(Store store, String app, java.util.function.Function<Optional<Release>, Next> next) {
        for (int tries = 0; tries < 100; tries++) {
            // A writer that lost sleeps a random moment first, so that one cannot keep losing to the others.
            if (tries > 0) {
                try {
                    Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 5 + Math.min(tries, 20)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
            Entry formationEntry = store.get(Keys.formation(app)).orElse(null);
            Formation old = formationEntry == null ? null : formationEntry.as(Formation.class);
            Optional<Release> current = old == null ? Optional.empty() : store.get(Keys.release(app, old.releaseId()), Release.class);
            Next n = next.apply(current);
            Snapshot existing = store.list(Keys.releases(app));
            int version = existing.values(Keys.releases(app), Release.class).mapToInt(Release::version).max().orElse(0) + 1;
            String id = app + "-v" + version;
            Release release = new Release(id, app, version, n.image(), n.processes(), n.env(), Instant.now(), n.description(), n.slugUrl());
            Map<String, Integer> counts = new HashMap<>(old == null ? Map.of() : old.processes());
            // As on Heroku, web starts at 1 the first time a release has it; an explicit count (even 0) is kept.
            if (n.processes().containsKey("web")) counts.putIfAbsent("web", 1);
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
