package dev.grid.controller.domain;

import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import java.time.Instant;

/** A job as `grid ps` shows it: what the scheduler assigned, with what its host last reported. */
public record JobView(String id, String app, String type, String releaseId, String hostId, String state, int port,
                      int restarts, Instant startedAt, String message, String command, long memoryMb) {
    public static JobView of(JobSpec spec, JobStatus status) {
        String state;
        String message = null;
        if (spec.blocked() != null) {
            state = "blocked";
            message = spec.blocked();
        } else if (status == null || status.attempt() != spec.attempt()) {
            state = spec.attempt() > 0 ? "restarting" : "pending";
        } else {
            state = status.state().name().toLowerCase();
            message = status.message();
        }
        return new JobView(spec.id(), spec.app(), spec.type(), spec.releaseId(), spec.hostId(), state,
                status == null ? 0 : status.port(), spec.attempt(), status == null ? null : status.startedAt(), message, spec.command(), spec.memoryMb());
    }

    /** Jobs that are wanted but that no host can take: one line per process type, with how many and why. */
    public static JobView unplaced(dev.grid.core.Unplaced u) {
        return new JobView("-", u.app(), u.type(), "", "", "unplaced", 0, 0, null,
                u.missing() + (u.missing() == 1 ? " job cannot" : " jobs cannot") + " be placed: " + u.reason(), null, 0);
    }
}
