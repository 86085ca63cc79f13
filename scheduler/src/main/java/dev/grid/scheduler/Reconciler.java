package dev.grid.scheduler;

import dev.grid.core.Formation;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.core.OneOffRun;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.store.Keys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The scheduler's decision, as a pure function of (desired, observed, now): which
 * jobs to place, stop, restart (with back-off), block or unblock. No I/O.
 */
public final class Reconciler {
    public static final String ONE_OFF_TYPE = "run";
    /** How long a detached run's job stays after it exited: its output is read from its container meanwhile. */
    public static final java.time.Duration DETACHED_KEPT = java.time.Duration.ofMinutes(10);

    /**
     * The detached runs whose job exited, and when each is spent ({@link #DETACHED_KEPT} later).
     * Attached ones too: their caller's session ends them, but one whose controller went away
     * meanwhile (or whose caller never attached) would otherwise stay for good.
     */
    public static Map<String, Instant> keptRunEnds(ClusterView view) {
        Map<String, Instant> ends = new java.util.HashMap<>();
        for (OneOffRun run : view.runs()) {
            if (!run.detached() && run.attached() == null) continue;
            dev.grid.core.JobStatus s = view.statuses().get(run.id());
            if (s != null && s.state().isDown() && s.finishedAt() != null) ends.put(run.id(), s.finishedAt().plus(DETACHED_KEPT));
        }
        return ends;
    }

    /** The detached runs whose job exited more than {@link #DETACHED_KEPT} ago: their run keys go, and then their jobs. */
    public static Set<String> spentRuns(ClusterView view, Instant now) {
        Set<String> spent = new HashSet<>();
        keptRunEnds(view).forEach((run, at) -> {
            if (!at.isAfter(now)) spent.add(run);
        });
        return spent;
    }

    private Reconciler() {}

    public static Plan plan(ClusterView view, Instant now, Supplier<String> newId) {
        Plan plan = new Plan();
        Set<String> runIds = view.runs().stream().map(OneOffRun::id).collect(Collectors.toSet());
        List<JobSpec> live = view.jobs().stream().filter(j -> view.holds(j.hostId())).toList();
        Placement placement = new Placement(view.hosts().values(), live);

        Map<String, List<JobSpec>> groups = new java.util.HashMap<>();
        Map<String, List<JobSpec>> previous = new java.util.HashMap<>();
        for (JobSpec job : view.jobs()) {
            if (job.oneOff()) {
                if (!runIds.contains(job.id()) || !view.holds(job.hostId())) plan.stop().add(job);
                continue;
            }
            Formation f = view.formations().get(job.app());
            if (f == null) {
                plan.stop().add(job);
                continue;
            }
            String asked = view.restart().get(job.id());
            if (Keys.STOP.equals(asked)) {
                plan.stop().add(job); // ps:stop: now; not counted below, so a replacement is placed
                continue;
            }
            if (Keys.RESTART.equals(asked) || !job.releaseId().equals(f.releaseId())) {
                // ps:restart: as a job of an earlier release, serving until its replacement is up.
                previous.computeIfAbsent(job.app() + "\u0000" + job.type(), k -> new ArrayList<>()).add(job);
                continue;
            }
            groups.computeIfAbsent(job.app() + "\u0000" + job.type(), k -> new ArrayList<>()).add(job);
        }

        for (Formation f : view.formations().values()) {
            Release release = view.releases().get(f.releaseId());
            if (release == null) continue;
            Set<String> types = new TreeSet<>(release.processes().keySet());
            types.addAll(f.processes().keySet());
            for (String type : types) {
                ProcessType process = release.processes().get(type);
                int want = process == null ? 0 : f.count(type);
                String group = f.app() + "\u0000" + type;
                List<JobSpec> old = new ArrayList<>(previous.getOrDefault(group, List.of()));
                // A volume is used by one job at a time: such a type is replaced stop-first.
                boolean stopFirst = (process != null && !process.volumes().isEmpty()) || old.stream().anyMatch(j -> !j.volumes().isEmpty());
                List<JobSpec> current = new ArrayList<>(groups.getOrDefault(group, List.of()));
                if (stopFirst) {
                    // A data node is never restarted by a release that would run it exactly as it runs:
                    // such a release changed another node (a keeper upgraded one node at a time).
                    for (var it = old.iterator(); it.hasNext(); ) {
                        JobSpec j = it.next();
                        if (!j.runsAs(release, type) || view.restart().containsKey(j.id())) continue;
                        it.remove();
                        JobSpec carried = j.withRelease(release.id());
                        current.add(carried);
                        upsert(plan.update(), carried);
                    }
                }
                // Stop-first: while old jobs exist, place nothing new (and stop nothing current).
                int target = stopFirst && !old.isEmpty() ? Math.min(want, current.size()) : want;
                int serving = reconcileGroup(view, release, type, process, target, current, placement, plan, now, newId);
                retire(view, old, stopFirst || process == null ? 0 : Math.max(0, want - serving), placement, plan);
                previous.remove(group);
            }
        }
        for (List<JobSpec> leftover : previous.values()) plan.stop().addAll(leftover); // types the app no longer has

        Set<String> jobIds = new HashSet<>();
        for (JobSpec j : view.jobs()) jobIds.add(j.id());
        for (OneOffRun run : view.runs()) {
            // No one-off ever runs beside a data node: the controller refuses them, and so does the plan.
            if (jobIds.contains(run.id()) || dev.grid.core.App.isSystem(run.app())) continue;
            Release release = view.releases().get(run.releaseId());
            if (release == null) continue;
            ProcessType process = ProcessType.of(run.command());
            var host = placement.choose(run.app(), ONE_OFF_TYPE, process);
            if (host.isEmpty()) {
                plan.unplaceable().add(new dev.grid.core.Unplaced(run.app(), ONE_OFF_TYPE, 1, placement.whyNot(process)));
                continue;
            }
            JobSpec job = new JobSpec(run.id(), host.get().id(), run.app(), release.id(), ONE_OFF_TYPE, release.image(),
                    run.command(), release.env(), process.memoryMb(), List.of(), true, 0, null, null, release.slugUrl(), List.of(), run.attached());
            placement.add(job);
            plan.place().add(job);
        }
        return plan;
    }

    /**
     * Jobs of an earlier release keep serving while the current release comes up
     * (zero-downtime deploys): {@code keep} of them stay — those serving first —
     * and the rest stop. A release that never comes up leaves the old one serving.
     */
    private static void retire(ClusterView view, List<JobSpec> old, int keep, Placement placement, Plan plan) {
        List<JobSpec> live = new ArrayList<>();
        for (JobSpec j : old) {
            if (view.holds(j.hostId()) && j.blocked() == null) live.add(j);
            else plan.stop().add(j);
        }
        live.sort(Comparator.comparingInt((JobSpec j) -> stopPriority(j, view.statuses().get(j.id()))).thenComparing(JobSpec::id));
        for (int i = 0; i < live.size() - keep; i++) {
            plan.stop().add(live.get(i));
            placement.remove(live.get(i));
        }
    }

    /** Converges the current release's jobs of one type; returns how many of them are serving (up). */
    private static int reconcileGroup(ClusterView view, Release release, String type, ProcessType process, int want,
                                      List<JobSpec> jobs, Placement placement, Plan plan, Instant now, Supplier<String> newId) {
        List<JobSpec> kept = new ArrayList<>();
        for (JobSpec job : jobs) {
            boolean hostUp = view.hosts().containsKey(job.hostId());
            if (hostUp) {
                kept.add(job.blocked() != null ? job.withBlocked(null) : job);
                if (job.blocked() != null) upsert(plan.update(), job.withBlocked(null));
            } else if (view.removed().contains(job.hostId()) || (view.replace().contains(job.id()) && !view.awaited().contains(job.hostId()))) {
                // Declared gone for good, or let go by its owner: placed again below, a data node with a fresh volume on its new host,
                // rebuilt there from a surviving member.
                plan.stop().add(job);
            } else if (view.awaited().contains(job.hostId())) {
                kept.add(job); // its host may be registering again: neither moved nor marked yet
            } else if (!job.volumes().isEmpty()) {
                // A volume lives on one host: never move its job silently; say why it waits.
                kept.add(job);
                if (job.blocked() == null) {
                    upsert(plan.update(), job.withBlocked("host " + job.hostId() + " is down and holds this job's volume "
                            + job.volumes().get(0).name() + "; the job waits for that host to return"));
                }
            } else {
                plan.stop().add(job);
            }
        }

        if (kept.size() > want) {
            kept.sort(Comparator.comparingInt((JobSpec j) -> stopPriority(j, view.statuses().get(j.id()))).thenComparing(JobSpec::id));
            List<JobSpec> extra = kept.subList(0, kept.size() - want);
            for (JobSpec j : extra) {
                plan.update().removeIf(u -> u.id().equals(j.id()));
                plan.stop().add(j);
                placement.remove(j);
            }
            kept = new ArrayList<>(kept.subList(kept.size() - want, kept.size()));
        }

        for (JobSpec job : kept) {
            JobStatus status = view.statuses().get(job.id());
            if (job.blocked() == null && status != null && status.attempt() == job.attempt() && status.state().isDown()) {
                boolean ranLong = status.startedAt() != null && status.finishedAt() != null
                        && Duration.between(status.startedAt(), status.finishedAt()).compareTo(Backoff.STABLE) >= 0;
                // The attempt names the run to its host: it must change, or the host never starts it again (and
                // this would update the job every round). A long run starts its back-off over at 1, or 2 after 1.
                int next = ranLong ? (job.attempt() == 1 ? 2 : 1) : job.attempt() + 1;
                upsert(plan.update(), job.withRestart(next, now.plus(Backoff.delay(next))));
            }
        }

        for (int i = kept.size(); i < want; i++) {
            var host = placement.choose(release.app(), type, process);
            if (host.isEmpty()) {
                plan.unplaceable().add(new dev.grid.core.Unplaced(release.app(), type, want - i, placement.whyNot(process)));
                break;
            }
            JobSpec job = new JobSpec(release.app() + "-" + type + "-" + newId.get(), host.get().id(), release.app(), release.id(),
                    type, release.image(), process.command(), release.env(), process.memoryMb(), process.volumes(), false, 0, null, null, release.slugFor(type), process.capabilities());
            placement.add(job);
            plan.place().add(job);
        }
        int serving = 0;
        for (JobSpec j : kept) {
            JobStatus s = view.statuses().get(j.id());
            if (j.blocked() == null && s != null && s.attempt() == j.attempt() && s.state() == JobState.UP) serving++;
        }
        return serving;
    }

    /** A job is rewritten at most once per plan (etcd refuses a transaction that writes a key twice). */
    private static void upsert(List<JobSpec> updates, JobSpec job) {
        updates.removeIf(u -> u.id().equals(job.id()));
        updates.add(job);
    }

    /** Lower stops first: jobs that are not serving go before jobs that are. */
    private static int stopPriority(JobSpec job, JobStatus status) {
        if (job.blocked() != null) return 0;
        if (status == null || status.state().isDown()) return 1;
        if (status.state() != JobState.UP) return 2;
        return 3;
    }
}
