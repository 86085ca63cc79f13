package dev.grid.bench;

import dev.grid.core.Formation;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.scheduler.ClusterView;
import dev.grid.scheduler.Plan;
import dev.grid.scheduler.Reconciler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scheduler's decision, {@link Reconciler#plan}, on a cluster that cannot run here: HOSTS
 * hosts and JOBS web jobs (ten per app), all placed and up, and one app scaled up by one. The
 * figure is the time of one plan; the goal is 10 ms at 100 hosts and 10,000 jobs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PlanBenchmark {
    @Param({"10:1000", "100:10000"})
    public String hostsAndJobs;

    ClusterView steady;
    ClusterView scaled;
    final Instant now = Instant.parse("2026-12-03T12:00:00Z");
    final AtomicLong ids = new AtomicLong();

    @Setup
    public void setUp() {
        String[] hj = hostsAndJobs.split(":");
        int hostCount = Integer.parseInt(hj[0]);
        int jobCount = Integer.parseInt(hj[1]);
        int apps = jobCount / 10;
        Map<String, HostInfo> hosts = new HashMap<>();
        for (int h = 0; h < hostCount; h++) {
            String id = "h" + h;
            hosts.put(id, new HostInfo(id, "10.0." + (h / 250) + "." + (h % 250), 20000, 20999, 16384, Map.of("zone", "z" + (h % 3)), ""));
        }
        Map<String, Formation> formations = new HashMap<>();
        Map<String, Release> releases = new HashMap<>();
        for (int a = 0; a < apps; a++) {
            String app = "app" + a;
            Release r = new Release(app + "-v1", app, 1, "grid/stack:bookworm-3", Map.of("web", ProcessType.of("serve").withMemory(128)),
                    Map.of("K", "v"), now, "Deploy", "http://blobs/" + app + ".tgz");
            releases.put(r.id(), r);
            formations.put(app, new Formation(app, r.id(), Map.of("web", 10)));
        }
        // The steady state: what the scheduler itself places from nothing, every job up.
        ClusterView empty = new ClusterView(formations, releases, hosts, List.of(), Map.of(), List.of());
        Plan first = Reconciler.plan(empty, now, () -> "j" + ids.incrementAndGet());
        if (first.place().size() != jobCount) throw new IllegalStateException("placed " + first.place().size() + " of " + jobCount);
        List<JobSpec> jobs = new ArrayList<>(first.place());
        Map<String, JobStatus> statuses = new HashMap<>();
        for (JobSpec j : jobs) {
            statuses.put(j.id(), new JobStatus(j.id(), j.hostId(), JobState.UP, j.attempt(), "c" + j.id(), 20000, null, now, null, null));
        }
        steady = new ClusterView(formations, releases, hosts, jobs, statuses, List.of());
        Plan idle = Reconciler.plan(steady, now, () -> "j" + ids.incrementAndGet());
        if (!idle.isEmpty()) throw new IllegalStateException("the steady state is not steady: " + idle);
        Map<String, Formation> more = new HashMap<>(formations);
        more.put("app0", new Formation("app0", "app0-v1", Map.of("web", 11)));
        scaled = new ClusterView(more, releases, hosts, jobs, statuses, List.of());
        Plan one = Reconciler.plan(scaled, now, () -> "j" + ids.incrementAndGet());
        if (one.place().size() != 1 || !one.stop().isEmpty()) throw new IllegalStateException("one app scaled by one: " + one.place().size() + " placed");
    }

    /** A round with nothing to do. */
    @Benchmark
    public Plan steadyRound() {
        return Reconciler.plan(steady, now, () -> "j" + ids.incrementAndGet());
    }

    /** A round after one app was scaled from 10 to 11 jobs. */
    @Benchmark
    public Plan oneAppScaled() {
        return Reconciler.plan(scaled, now, () -> "j" + ids.incrementAndGet());
    }
}
