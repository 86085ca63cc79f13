package dev.grid.controller.domain;

import dev.grid.core.Formation;
import dev.grid.core.GridException;
import dev.grid.core.Release;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;

@Singleton
public final class Formations {
    public static final int MAX_PER_TYPE = 100;
    private final Store store;
    private final Apps apps;
    private final Releases releases;

    public Formations(Store store, Apps apps, Releases releases) {
        this.store = store;
        this.apps = apps;
        this.releases = releases;
    }

    public Formation get(String app) {
        apps.get(app);
        return store.get(Keys.formation(app), Formation.class).orElse(new Formation(app, null, Map.of()));
    }

    /**
     * A scale's answer: the formation now, and, when the hosts' reported capacity cannot take all
     * of it, what will stay unplaced and why (the scheduler's own placement, asked at once).
     */
    public record Scaled(String app, String releaseId, Map<String, Integer> processes, java.util.List<String> warnings) {}

    public Scaled scaleAndCheck(String app, Map<String, Integer> counts) {
        Written w = write(app, counts);
        // The plan's inputs, kept by one watch from the first scale on: a scale call reads no more
        // of etcd with 300 apps than with one (it read the whole keyspace: 120-260 ms a call at 300).
        StoreMirror inputs = planInputs();
        dev.grid.store.Snapshot now = inputs.awaitRevision(w.revision(), java.time.Duration.ofSeconds(2)) ? inputs.snapshot() : store.list("");
        Formation f = w.formation();
        return new Scaled(f.app(), f.releaseId(), f.processes(), unplaceable(now, app));
    }

    private volatile StoreMirror planInputs;

    private StoreMirror planInputs() {
        StoreMirror m = planInputs;
        if (m != null) return m;
        synchronized (this) {
            if (planInputs == null) planInputs = new StoreMirror(store, dev.grid.scheduler.Scheduler.WATCHED, () -> {});
            return planInputs;
        }
    }

    @jakarta.annotation.PreDestroy
    public synchronized void close() {
        if (planInputs != null) planInputs.close();
    }

    /** What of {@code app} the scheduler's next plan could not place, from this snapshot. */
    static java.util.List<String> unplaceable(dev.grid.store.Snapshot snapshot, String app) {
        dev.grid.scheduler.Plan plan = dev.grid.scheduler.Reconciler.plan(dev.grid.scheduler.ClusterView.of(snapshot), java.time.Instant.now(), () -> "check");
        return plan.unplaceable().stream().filter(u -> u.app().equals(app))
                .map(u -> u.missing() + " " + u.type() + (u.missing() == 1 ? " job" : " jobs") + " cannot be placed now: " + u.reason()).toList();
    }

    /** Sets the counts of the named process types; the others keep theirs. Validates everything before writing anything. */
    public Formation scale(String app, Map<String, Integer> counts) {
        return write(app, counts).formation();
    }

    /** A formation as written, and the revision of the write. */
    private record Written(Formation formation, long revision) {}

    private Written write(String app, Map<String, Integer> counts) {
        apps.get(app);
        if (counts == null || counts.isEmpty()) throw GridException.invalid("say what to scale, e.g. web=2");
        Release release = releases.current(app).orElseThrow(() ->
                GridException.invalid("app '" + app + "' has no release yet: deploy one first ('grid deploy -a " + app + " --image IMAGE ...')"));
        for (var e : counts.entrySet()) {
            if (!release.processes().containsKey(e.getKey())) {
                throw GridException.invalid("unknown process type '" + e.getKey() + "': release v" + release.version()
                        + " has " + String.join(", ", new java.util.TreeSet<>(release.processes().keySet())));
            }
            Integer n = e.getValue();
            if (n == null || n < 0) throw GridException.invalid("cannot scale " + e.getKey() + " to " + n + ": the count must be 0 or more");
            if (n > MAX_PER_TYPE) throw GridException.invalid("cannot scale " + e.getKey() + " to " + n + ": at most " + MAX_PER_TYPE);
        }
        for (int tries = 0; tries < 20; tries++) {
            Entry entry = store.get(Keys.formation(app)).orElse(null);
            Formation old = entry == null ? new Formation(app, release.id(), Map.of()) : entry.as(Formation.class);
            Map<String, Integer> merged = new HashMap<>(old.processes());
            merged.putAll(counts);
            Formation updated = new Formation(app, old.releaseId(), merged);
            long rev = store.txn().ifUnchanged(Keys.formation(app), entry == null ? 0 : entry.modRevision())
                    .put(Keys.formation(app), updated).commitRevision();
            if (rev > 0) return new Written(updated, rev);
        }
        throw GridException.conflict("the formation of " + app + " changed too often while scaling; try again");
    }
}
