package dev.grid.core;

import java.time.Instant;

/**
 * A request to run a command once from an app's current release (key runs/ID). A {@code detached}
 * run ({@code grid run:detached}) is nobody's to wait for: the scheduler ends it a while after its
 * job exits, its output readable meanwhile with {@code grid logs --ps JOB}. An {@code attached} one
 * ({@code grid run}) has its stdin, stdout and stderr streamed to the caller: its container is made
 * but starts only once the caller is attached ({@link Stdio}).
 */
public record OneOffRun(String id, String app, String releaseId, String command, Instant createdAt, boolean detached, Stdio attached) {
    /** How an attached run's streams reach its caller: through a pipe each, or one terminal. */
    public enum Stdio { PIPE, TTY }

    public OneOffRun(String id, String app, String releaseId, String command, Instant createdAt, boolean detached) {
        this(id, app, releaseId, command, createdAt, detached, null);
    }

    public OneOffRun(String id, String app, String releaseId, String command, Instant createdAt) {
        this(id, app, releaseId, command, createdAt, false, null);
    }
}
