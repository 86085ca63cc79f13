package dev.grid.scheduler;

import dev.grid.core.JobSpec;
import dev.grid.core.Unplaced;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.LeaderElection;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import dev.grid.store.Txn;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconcile, place, submit. When leader (or always, if told to run without an
 * election), it reads the cluster at one revision, computes a {@link Plan} with
 * the pure {@link Reconciler}, and applies it in one transaction that compares the
 * claim keys of every app and host the plan touches. A plan computed from a view
 * that another scheduler has since changed fails to commit and is recomputed, so
 * two schedulers can never create more jobs than asked.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    /** What a plan reads besides the claims and the unplaced notes ({@link ClusterView#of}): what a caller keeps to ask the plan a question. */
    public static final List<String> WATCHED = List.of(Keys.FORMATIONS, Keys.RELEASES, Keys.HOSTS, Keys.REMOVED_HOSTS, Keys.REPLACE_JOBS, Keys.RESTART_JOBS, Keys.JOBS, Keys.STATUS, Keys.RUNS);

    private final Store store;
    private final String id;
    private final LeaderElection election;
    private final Clock clock;
    private final CoalescedTask loop;
    /** What the plan reads, kept by a watch: a round reads no key of etcd (a lost race reads it all once). */
    private volatile dev.grid.store.StoreMirror mirror;
    private final java.util.concurrent.atomic.AtomicLong freshReads = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong plans = new java.util.concurrent.atomic.AtomicLong();
    /** How long a scheduler that has just become leader leaves the jobs of unregistered hosts where they are. */
    private final java.time.Duration grace;
    private volatile java.time.Instant leaderSince;
    private volatile Set<String> lastAwaited = Set.of();
    /**
     * The mirror's revision when a round last had nothing to do and did not depend on the time (no
     * host awaited): the plan is a function of the state, so until the state changes a round
     * would find nothing to do again, and is skipped. An idle cluster costs no planning.
     */
    private volatile long quietRevision = -1;

    /** @param electionTtlSeconds 0 runs without an election: every such scheduler acts (used to prove the transactions safe). */
    public Scheduler(Store store, String id, long electionTtlSeconds, Clock clock) {
        this.store = store;
        this.id = id;
        this.clock = clock;
        this.election = electionTtlSeconds > 0 ? new LeaderElection(store, "scheduler", id, electionTtlSeconds) : null;
        // Two host lease TTLs (the election's is the hosts' too): time for an agent that restarted
        // with this scheduler (a Grid server killed and started again) to register before its
        // jobs are moved or marked blocked. A host lost while this scheduler leads gets no grace.
        this.grace = java.time.Duration.ofSeconds(2 * electionTtlSeconds);
        this.loop = new CoalescedTask("scheduler-" + id, this::reconcile);
    }

    /**
     * Records into {@code metrics}: jobs by app, type and state ({@code grid_jobs}, counted at each
     * scrape while this scheduler leads, so that a cluster's schedulers never count a job twice) and
     * the restarts of crashed jobs this scheduler made ({@code grid_job_restarts_total}).
     */
    public Scheduler metrics(dev.grid.metrics.GridMetrics metrics) {
        this.registry = metrics.registry();
        metrics.census("grid.jobs", "Jobs by app, process type and state, as the leading scheduler sees them", null, () -> {
            Map<io.micrometer.core.instrument.Tags, Integer> rows = new java.util.HashMap<>();
            dev.grid.store.StoreMirror m = mirror;
            if (isLeader() && m != null) {
                JobCensus.count(ClusterView.of(m.snapshot())).forEach((row, n) ->
                        rows.put(io.micrometer.core.instrument.Tags.of("app", row.app(), "type", row.type(), "state", row.state()), n));
            }
            return rows;
        });
        return this;
    }

    private volatile io.micrometer.core.instrument.MeterRegistry registry;

    public Scheduler start() {
        List<String> read = new java.util.ArrayList<>(WATCHED);
        read.add(Keys.CLAIMS);
        read.add(Keys.UNPLACED);
        mirror = new dev.grid.store.StoreMirror(store, read, this::requestReconcile);
        loop.every(java.time.Duration.ofSeconds(1));
        return this;
    }

    public boolean isLeader() {
        return election == null || election.isLeader();
    }

    public void requestReconcile() {
        loop.request();
    }

    private void reconcile() {
        if (!isLeader()) {
            leaderSince = null;
            quietRevision = -1;
            return;
        }
        if (leaderSince == null) leaderSince = clock.instant();
        for (int tries = 0; tries < 10; tries++) {
            // After a lost race, another writer's change may not have reached the mirror yet: read etcd itself.
            if (reconcileOnce(tries > 0)) return;
        }
        log.warn("scheduler {}: plans kept conflicting; trying again on the next change", id);
    }

    /** One round: returns false if the plan lost a race and must be recomputed. */
    boolean reconcileOnce() {
        return reconcileOnce(false);
    }

    private boolean reconcileOnce(boolean fresh) {
        long started = System.nanoTime();
        dev.grid.store.StoreMirror m = mirror;
        if (!fresh && m != null && m.revision() == quietRevision) return true;
        Snapshot snapshot;
        if (fresh || m == null) {
            snapshot = store.list("");
            freshReads.incrementAndGet();
        } else {
            snapshot = m.snapshot();
        }
        java.time.Instant now = clock.instant();
        ClusterView view = awaitingRestartedHosts(ClusterView.of(snapshot), now);
        Plan plan = Reconciler.plan(view, now, () -> UUID.randomUUID().toString().substring(0, 8));
        plans.incrementAndGet();
        long planned = System.nanoTime() - started;
        recordUnplaced(snapshot, plan.unplaceable());
        // A let-go whose job is gone, or whose host came back first, is spent.
        Set<String> spent = new HashSet<>(view.replace());
        for (JobSpec j : view.jobs()) if (!view.hosts().containsKey(j.hostId())) spent.remove(j.id());
        // A restart or stop asked of a job that is gone is spent too.
        Set<String> spentRestarts = new HashSet<>(view.restart().keySet());
        for (JobSpec j : view.jobs()) spentRestarts.remove(j.id());
        // A detached run whose job exited a while ago is spent: its job goes on the next round. One
        // that exited and is not spent yet waits on time passing, not on a change: no round may be skipped.
        Map<String, java.time.Instant> ends = Reconciler.keptRunEnds(view);
        ends.forEach((run, at) -> {
            if (!at.isAfter(now)) store.delete(Keys.run(run));
        });
        boolean timed = !ends.isEmpty();
        if (plan.isEmpty()) {
            for (String job : spent) store.delete(Keys.replaceJob(job));
            for (String job : spentRestarts) store.delete(Keys.restartJob(job));
            if (spent.isEmpty() && spentRestarts.isEmpty() && lastAwaited.isEmpty() && !timed && !fresh) quietRevision = snapshot.revision();
            return true;
        }

        Txn txn = store.txn();
        String stamp = id + "@" + snapshot.revision();
        for (String app : plan.apps()) {
            Entry claim = snapshot.get(Keys.appClaim(app));
            txn.ifUnchanged(Keys.appClaim(app), claim == null ? 0 : claim.modRevision()).put(Keys.appClaim(app), stamp);
        }
        for (String host : plan.placementHosts()) {
            Entry claim = snapshot.get(Keys.hostClaim(host));
            txn.ifUnchanged(Keys.hostClaim(host), claim == null ? 0 : claim.modRevision()).put(Keys.hostClaim(host), stamp);
        }
        for (JobSpec j : plan.stop()) {
            txn.delete(Keys.job(j.hostId(), j.id())).delete(Keys.status(j.id()));
            if (view.replace().contains(j.id())) txn.delete(Keys.replaceJob(j.id()));
            if (view.restart().containsKey(j.id())) txn.delete(Keys.restartJob(j.id()));
        }
        for (JobSpec j : plan.update()) txn.put(Keys.job(j.hostId(), j.id()), j);
        for (JobSpec j : plan.place()) txn.put(Keys.job(j.hostId(), j.id()), j);
        boolean committed = commitSeen(txn);
        io.micrometer.core.instrument.MeterRegistry r = registry;
        if (committed && r != null) {
            for (JobSpec j : JobCensus.restarted(view, plan.update())) {
                r.counter("grid.job.restarts", "app", j.app(), "type", JobCensus.typeOf(j)).increment();
            }
        }
        if (committed) {
            log.info("scheduler {}: placed {}, stopped {}, updated {} (a plan of {} jobs in {} ms)", id, plan.place().size(), plan.stop().size(),
                    plan.update().size(), view.jobs().size(), String.format(java.util.Locale.ROOT, "%.1f", planned / 1e6));
        } else {
            log.debug("scheduler {}: plan lost a race; recomputing", id);
        }
        return committed;
    }

    /**
     * Keeps {@code unplaced/APP/TYPE} to what this round could not place, writing (and logging)
     * only what changed since the snapshot: {@code grid ps} shows it, and a reason that stays the
     * same is said once, not on every round.
     */
    private void recordUnplaced(Snapshot snapshot, List<Unplaced> now) {
        Map<String, Unplaced> wanted = new java.util.HashMap<>();
        for (Unplaced u : now) wanted.merge(Keys.unplaced(u.app(), u.type()), u, (a, b) -> new Unplaced(a.app(), a.type(), a.missing() + b.missing(), a.reason()));
        Map<String, Unplaced> stored = new java.util.HashMap<>();
        snapshot.under(Keys.UNPLACED).forEach(e -> stored.put(e.key(), e.as(Unplaced.class)));
        if (wanted.equals(stored)) return;
        Txn txn = store.txn();
        for (var e : wanted.entrySet()) {
            if (e.getValue().equals(stored.get(e.getKey()))) continue;
            Unplaced u = e.getValue();
            log.warn("cannot place {} {} job(s) of {}: {}", u.missing(), u.type(), u.app(), u.reason());
            txn.put(e.getKey(), u);
        }
        for (var e : stored.entrySet()) {
            if (wanted.containsKey(e.getKey())) continue;
            log.info("{} {}: every wanted job is placed now", e.getValue().app(), e.getValue().type());
            txn.delete(e.getKey());
        }
        commitSeen(txn); // said once, not again next round
    }

    /**
     * Commits; once committed, waits (briefly) for the mirror to hold the writes, so that the next
     * round plans from them (a lost race reads etcd anyway). Whether it committed.
     */
    private boolean commitSeen(Txn txn) {
        long revision = txn.commitRevision();
        dev.grid.store.StoreMirror m = mirror;
        if (revision > 0 && m != null) m.awaitRevision(revision, java.time.Duration.ofSeconds(2));
        return revision > 0;
    }

    /** How many times this scheduler read all of etcd: once at start, then only after a lost race or a compaction. */
    public long fullReads() {
        dev.grid.store.StoreMirror m = mirror;
        return freshReads.get() + (m == null ? 0 : m.reads());
    }

    /** How many plans this scheduler computed: rounds on an unchanged, settled state compute none. */
    public long plans() {
        return plans.get();
    }

    /** The view, with the jobs of unregistered hosts left alone while this scheduler's grace lasts. */
    private ClusterView awaitingRestartedHosts(ClusterView view, java.time.Instant now) {
        java.time.Instant since = leaderSince;
        Set<String> awaited = since != null && now.isBefore(since.plus(grace)) ? view.missingHosts() : Set.of();
        if (!awaited.equals(lastAwaited)) {
            if (!awaited.isEmpty()) {
                log.info("scheduler {}: waiting up to {} s for host(s) {} to register before moving their jobs", id,
                        java.time.Duration.between(now, since.plus(grace)).toSeconds(), awaited);
            }
            lastAwaited = awaited;
        }
        return awaited.isEmpty() ? view : view.awaiting(awaited);
    }

    @Override
    public void close() {
        if (mirror != null) mirror.close();
        loop.close();
        if (election != null) election.close();
    }
}
