package dev.grid.core;

public enum JobState {
    /** Assigned, container not started yet (or waiting out a restart back-off). */
    PENDING,
    /** Container running, port not yet accepting connections. */
    STARTING,
    /** Running and, for processes with a port, accepting connections. */
    UP,
    /** The container exited non-zero or was killed; the scheduler will restart it. */
    CRASHED,
    /** The container exited zero (one-off jobs end here). */
    EXITED,
    /** The host could not start it (bad image, no free port, ...). */
    FAILED;

    public boolean isDown() {
        return this == CRASHED || this == EXITED || this == FAILED;
    }
}
