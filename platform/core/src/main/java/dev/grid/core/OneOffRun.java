package dev.grid.core;

import java.time.Instant;

/**
 * A request to run a command once from an app's current release (key runs/ID). A {@code detached}
 * run ({@code grid run:detached}) is nobody's to wait for: the scheduler ends it a while after its
 * job exits, its output readable meanwhile with {@code grid logs --ps JOB}.
 */
public record OneOffRun(String id, String app, String releaseId, String command, Instant createdAt, boolean detached) {
    public OneOffRun(String id, String app, String releaseId, String command, Instant createdAt) {
        this(id, app, releaseId, command, createdAt, false);
    }
}
