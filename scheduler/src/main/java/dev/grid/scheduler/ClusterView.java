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

/** Desired state (formations, releases, one-off runs) and observed state (live hosts, jobs, statuses) at one moment. */
public record ClusterView(Map<String, Formation> formations, Map<String, Release> releases, Map<String, HostInfo> hosts,
                         List<JobSpec> jobs, Map<String, JobStatus> statuses, List<OneOffRun> runs) {

    public static ClusterView of(Snapshot s) {
        return new ClusterView(
                s.values(Keys.FORMATIONS, Formation.class).collect(Collectors.toMap(Formation::app, Function.identity())),
                s.values(Keys.RELEASES, Release.class).collect(Collectors.toMap(Release::id, Function.identity())),
                s.values(Keys.HOSTS, HostInfo.class).collect(Collectors.toMap(HostInfo::id, Function.identity())),
                s.values(Keys.JOBS, JobSpec.class).toList(),
                s.values(Keys.STATUS, JobStatus.class).collect(Collectors.toMap(JobStatus::jobId, Function.identity(), (a, b) -> b)),
                s.values(Keys.RUNS, OneOffRun.class).toList());
    }
}
