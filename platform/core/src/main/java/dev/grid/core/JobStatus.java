package dev.grid.core;

import java.time.Instant;

/** What a host reports about one of its jobs (key status/ID). */
public record JobStatus(String jobId, String hostId, JobState state, int attempt, String containerId,
                        int port, Integer exitCode, Instant startedAt, Instant finishedAt, String message) {}
