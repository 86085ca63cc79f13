package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.core.OneOffRun;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a run session does while its run's container is being made: {@link RunSession#next}. */
class RunSessionTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final JobSpec JOB = new JobSpec("shop-run-1", "h1", "shop", "r1", "run", "grid/stack", "bash", Map.of(), 256, List.of(),
            true, 0, null, null, null, List.of(), OneOffRun.Stdio.TTY);
    private static final HostInfo HOST = new HostInfo("h1", "127.0.0.2", 20000, 20100, 1024, Map.of(), "http://127.0.0.2:7000", 1, "127.0.0.2:7001");

    private static JobStatus status(JobState state, String container, Instant started, String message) {
        return new JobStatus(JOB.id(), "h1", state, 0, container, 20001, state.isDown() ? 0 : null, started, state.isDown() ? T0 : null, message);
    }

    @Test
    void itWaitsSayingForWhatThenAttachesToAContainerMadeAndNotStarted() {
        assertEquals(new RunSession.Wait("waiting for the scheduler to place it"), RunSession.next(null, null, null));
        assertEquals(new RunSession.Wait("waiting for host h1 to make its container"), RunSession.next(JOB, null, HOST));
        assertEquals(new RunSession.Wait("loading image grid/stack (host h1)"),
                RunSession.next(JOB, status(JobState.STARTING, null, null, "loading image grid/stack"), HOST));
        assertEquals(new RunSession.Attach("127.0.0.2:7001"), RunSession.next(JOB, status(JobState.STARTING, "c1", null, "waiting for its caller to attach"), HOST));
    }

    @Test
    void itGivesUpWithTheReasonWhereNoAttachCanComeOrItCameTooLate() {
        var ended = RunSession.next(JOB, status(JobState.FAILED, "c1", null, "nobody attached to it within 60 s"), HOST);
        assertEquals(new RunSession.Fail("it ended before it was attached: nobody attached to it within 60 s"), ended);
        // Started already: somebody else attached (a session is one caller's), or the container is not one of an attached run.
        assertTrue(RunSession.next(JOB, status(JobState.UP, "c1", T0, null), HOST) instanceof RunSession.Fail);
        assertEquals(new RunSession.Fail("host h1 is down"), RunSession.next(JOB, status(JobState.STARTING, "c1", null, null), null));
        HostInfo older = new HostInfo("h1", "127.0.0.2", 20000, 20100, 1024, Map.of(), "http://127.0.0.2:7000");
        assertEquals(new RunSession.Fail("host h1 runs a Grid without run sessions: upgrade it"),
                RunSession.next(JOB, status(JobState.STARTING, "c1", null, null), older));
    }
}
