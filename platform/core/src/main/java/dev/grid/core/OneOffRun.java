package dev.grid.core;

import java.time.Instant;

/** A request to run a command once from an app's current release (key runs/ID). */
public record OneOffRun(String id, String app, String releaseId, String command, Instant createdAt) {}
