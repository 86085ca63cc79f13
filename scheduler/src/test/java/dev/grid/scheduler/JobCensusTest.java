package dev.grid.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobCensusTest {
    private static JobSpec job(String id, String app, String type, int attempt, String blocked) {
        return new JobSpec(id, "h1", app, "r1", type, "img", "cmd", Map.of(), 256, List.of(), false, attempt, null, blocked, null);
    }

    private static JobStatus status(String id, JobState state) {
        return new JobStatus(id, "h1", state, 0, "c-" + id, 20000, null, Instant.EPOCH, null, null);
    }

    @Test
    void jobsAreCountedByAppTypeAndStateWithUnreportedOnesPendingAndBlockedOnesBlocked() {
        ClusterView view = new ClusterView(Map.of(), Map.of(), Map.of(),
                List.of(job("a", "shop", "web", 0, null), job("b", "shop", "web", 0, null), job("c", "shop", "web", 0, null),
                        job("d", "shop", "worker", 0, "host h1 is down"), job("e", "blog", null, 0, null)),
                Map.of("a", status("a", JobState.UP), "b", status("b", JobState.UP), "c", status("c", JobState.CRASHED),
                        "d", status("d", JobState.UP)), List.of());
        Map<JobCensus.Row, Integer> rows = JobCensus.count(view);
        assertEquals(Map.of(new JobCensus.Row("shop", "web", "up"), 2, new JobCensus.Row("shop", "web", "crashed"), 1,
                new JobCensus.Row("shop", "worker", "blocked"), 1, new JobCensus.Row("blog", "run", "pending"), 1), rows);
    }

    @Test
    void aRestartIsAnUpdateThatRaisesTheAttemptAndNothingElseIs() {
        ClusterView view = new ClusterView(Map.of(), Map.of(), Map.of(),
                List.of(job("a", "shop", "web", 1, null), job("b", "shop", "web", 0, null)), Map.of(), List.of());
        List<JobSpec> updated = List.of(job("a", "shop", "web", 2, null), job("b", "shop", "web", 0, "blocked now"), job("new", "shop", "web", 5, null));
        assertEquals(List.of("a"), JobCensus.restarted(view, updated).stream().map(JobSpec::id).toList());
    }
}
