package dev.grid.scheduler;

import dev.grid.core.Formation;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import dev.grid.core.OneOffRun;
import dev.grid.core.Release;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Desired state (formations, releases, one-off runs) and observed state (live hosts, jobs, statuses) at one moment.
 * {@code awaited} are hosts not registered now whose jobs are left where they are for a while: a
 * scheduler that has just started cannot tell a host that is gone from one whose agent restarted
 * with it and has not registered yet (see {@link Scheduler}). {@code removed} are hosts an operator
 * declared gone for good ({@code grid hosts:remove}): never in {@code hosts}, never awaited, and
 * their jobs, data nodes included, are placed elsewhere. {@code replace} are volume-bound jobs whose
 * owner lets them go while their host is down ({@link Keys#REPLACE_JOBS}): placed elsewhere too.
 * {@code restart} are jobs an operator asked to restart or stop, by id, each {@link Keys#RESTART} or
 * {@link Keys#STOP} ({@link Keys#RESTART_JOBS}).
 */
public record ClusterView(Map<String, Formation> formations, Map<String, Release> releases, Map<String, HostInfo> hosts,
                         List<JobSpec> jobs, Map<String, JobStatus> statuses, List<OneOffRun> runs, java.util.Set<String> awaited,
                         java.util.Set<String> removed, java.util.Set<String> replace, Map<String, String> restart) {

    public ClusterView {
        replace = java.util.Set.copyOf(replace);
        restart = Map.copyOf(restart);
        java.util.Set<String> gone = java.util.Set.copyOf(removed);
        removed = gone;
        awaited = awaited.stream().filter(h -> !gone.contains(h)).collect(java.util.stream.Collectors.toUnmodifiableSet());
        hosts = hosts.entrySet().stream().filter(e -> !gone.contains(e.getKey()))
                .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    public ClusterView(Map<String, Formation> formations, Map<String, Release> releases, Map<String, HostInfo> hosts,
                       List<JobSpec> jobs, Map<String, JobStatus> statuses, List<OneOffRun> runs) {
        this(formations, releases, hosts, jobs, statuses, runs, java.util.Set.of(), java.util.Set.of(), java.util.Set.of(), Map.of());
    }

    /** This view, with the jobs of {@code hosts} (not registered) left where they are. */
    public ClusterView awaiting(java.util.Set<String> hosts) {
        return new ClusterView(formations, releases, this.hosts, jobs, statuses, runs, java.util.Set.copyOf(hosts), removed, replace, restart);
    }

    /** This view, with {@code hosts} declared gone for good. */
    public ClusterView removing(java.util.Set<String> hosts) {
        return new ClusterView(formations, releases, this.hosts, jobs, statuses, runs, awaited, hosts, replace, restart);
    }

    /** This view, with the volume-bound jobs {@code jobIds} let go by their owner. */
    public ClusterView replacing(java.util.Set<String> jobIds) {
        return new ClusterView(formations, releases, hosts, jobs, statuses, runs, awaited, removed, jobIds, restart);
    }

    /** This view, with the jobs {@code modes} names asked to restart or stop. */
    public ClusterView restarting(Map<String, String> modes) {
        return new ClusterView(formations, releases, hosts, jobs, statuses, runs, awaited, removed, replace, modes);
    }

    /** Whether a job on {@code hostId} stays there: its host is registered, or awaited. */
    public boolean holds(String hostId) {
        return hosts.containsKey(hostId) || awaited.contains(hostId);
    }

    /** The hosts that jobs are assigned to but that are not registered. */
    public java.util.Set<String> missingHosts() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (JobSpec j : jobs) if (!hosts.containsKey(j.hostId()) && !removed.contains(j.hostId())) out.add(j.hostId());
        return out;
    }

    public static ClusterView of(Snapshot s) {
        return new ClusterView(
                s.values(Keys.FORMATIONS, Formation.class).collect(Collectors.toMap(Formation::app, Function.identity())),
                s.values(Keys.RELEASES, Release.class).collect(Collectors.toMap(Release::id, Function.identity())),
                s.values(Keys.HOSTS, HostInfo.class).collect(Collectors.toMap(HostInfo::id, Function.identity())),
                s.values(Keys.JOBS, JobSpec.class).toList(),
                s.values(Keys.STATUS, JobStatus.class).collect(Collectors.toMap(JobStatus::jobId, Function.identity(), (a, b) -> b)),
                s.values(Keys.RUNS, OneOffRun.class).toList(), java.util.Set.of(),
                s.under(Keys.REMOVED_HOSTS).map(dev.grid.store.Entry::name).collect(Collectors.toSet()),
                s.under(Keys.REPLACE_JOBS).map(dev.grid.store.Entry::name).collect(Collectors.toSet()),
                s.under(Keys.RESTART_JOBS).collect(Collectors.toMap(dev.grid.store.Entry::name,
                        e -> String.valueOf(e.as(Map.class).getOrDefault("mode", Keys.RESTART)), (a, b) -> b)));
    }
}
