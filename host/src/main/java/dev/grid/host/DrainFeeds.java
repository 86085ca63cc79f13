package dev.grid.host;

import dev.grid.core.JobSpec;
import dev.grid.core.LogTimes;
import dev.grid.drains.Drains;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A host's jobs' output, to their apps' log drains: while an app has a drain, the output of each
 * of its containers on this host is followed from Docker and handed to {@link Drains}. A
 * container is followed from a little before it was first seen ({@link #LOOK_BACK}), so that what
 * it printed between its start and this host's next round is not lost; a line may therefore be
 * sent twice after a restart of Grid, and what a job printed while Grid was stopped for longer is
 * not sent.
 */
final class DrainFeeds implements AutoCloseable {
    static final Duration LOOK_BACK = Duration.ofSeconds(10);

    private final Docker docker;
    private final Drains drains;
    private final Map<String, Closeable> following = new HashMap<>();
    private boolean closed;

    DrainFeeds(Docker docker, Drains drains) {
        this.docker = docker;
        this.drains = drains;
    }

    /** Follows exactly the running containers (by id, with their jobs) whose apps have a drain. */
    synchronized void follow(Map<String, JobSpec> running) {
        if (closed) return;
        for (var it = following.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            JobSpec spec = running.get(e.getKey());
            if (spec != null && drains.wants(spec.app())) continue;
            close(e.getValue());
            it.remove();
        }
        long since = Instant.now().minus(LOOK_BACK).getEpochSecond();
        running.forEach((container, spec) -> {
            if (following.containsKey(container) || !drains.wants(spec.app())) return;
            String procId = (spec.type() == null ? "run" : spec.type()) + "." + spec.id();
            following.put(container, docker.follow(container, since, line -> ship(spec.app(), procId, line), () -> ended(container)));
        });
    }

    private void ship(String app, String procId, String line) {
        boolean timed = LogTimes.timed(line);
        String time = timed ? line.substring(0, LogTimes.WIDTH) : LogTimes.format(Instant.now());
        String message = timed ? line.substring(Math.min(line.length(), LogTimes.WIDTH + 1)) : line;
        drains.send(app, time, "app", procId, message);
    }

    /** A container's output ended (it stopped): the next round follows a new one of its job. */
    private synchronized void ended(String container) {
        following.remove(container);
    }

    private static void close(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // it ends anyway
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        following.values().forEach(DrainFeeds::close);
        following.clear();
    }
}
