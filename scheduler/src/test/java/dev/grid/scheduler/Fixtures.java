package dev.grid.scheduler;

import dev.grid.core.Formation;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.core.VolumeMount;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Builds cluster views for the pure scheduler tests. */
final class Fixtures {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    final Map<String, Formation> formations = new HashMap<>();
    final Map<String, Release> releases = new HashMap<>();
    final Map<String, HostInfo> hosts = new HashMap<>();
    final List<JobSpec> jobs = new ArrayList<>();
    final Map<String, JobStatus> statuses = new HashMap<>();
    final AtomicInteger ids = new AtomicInteger();
    /** Jobs asked to restart or stop (restart-jobs/). */
    final Map<String, String> restart = new HashMap<>();

    Fixtures host(String id, long memoryMb, Map<String, String> tags) {
        hosts.put(id, new HostInfo(id, "127.0.0.1", 20000, 20999, memoryMb, tags, "http://x"));
        return this;
    }

    Fixtures host(String id) {
        return host(id, 4096, Map.of());
    }

    Release release(String app, int version, Map<String, ProcessType> processes) {
        return release(app, version, processes, null);
    }

    Release release(String app, int version, Map<String, ProcessType> processes, String slugUrl) {
        Release r = new Release(app + "-v" + version, app, version, "img", processes, Map.of("K", "V"), NOW, "Deploy", slugUrl);
        releases.put(r.id(), r);
        return r;
    }

    Fixtures formation(Release r, Map<String, Integer> counts) {
        formations.put(r.app(), new Formation(r.app(), r.id(), counts));
        return this;
    }

    JobSpec job(Release r, String type, String host, int attempt, List<VolumeMount> volumes) {
        JobSpec j = new JobSpec(r.app() + "-" + type + "-j" + jobs.size(), host, r.app(), r.id(), type, r.image(),
                r.processes().get(type).command(), r.env(), 256, volumes, false, attempt, null, null, r.slugFor(type));
        jobs.add(j);
        return j;
    }

    JobSpec job(Release r, String type, String host) {
        return job(r, type, host, 0, List.of());
    }

    void status(JobSpec j, JobState state, Instant started, Instant finished) {
        statuses.put(j.id(), new JobStatus(j.id(), j.hostId(), state, j.attempt(), "c", 20000, state.isDown() ? 137 : null, started, finished, null));
    }

    ClusterView view() {
        return new ClusterView(formations, releases, hosts, jobs, statuses, List.of()).restarting(restart);
    }

    Plan plan() {
        Supplier<String> next = () -> "n" + ids.incrementAndGet();
        return Reconciler.plan(view(), NOW, next);
    }
}
