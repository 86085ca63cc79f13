package dev.grid.core;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job the scheduler assigned to a host (key jobs/HOST/ID). The host converges
 * its containers to these. {@code attempt} counts restarts: when the scheduler
 * bumps it the host replaces the container, not before {@code notBefore}.
 * {@code blocked} says why a volume-bound job cannot run (its host is gone).
 * With a {@code slugUrl}, the host unpacks that slug read-only at /app.
 */
public record JobSpec(String id, String hostId, String app, String releaseId, String type, String image,
                      String command, Map<String, String> env, long memoryMb, List<VolumeMount> volumes,
                      boolean oneOff, int attempt, Instant notBefore, String blocked, String slugUrl) {
    public JobSpec {
        env = env == null ? Map.of() : Map.copyOf(env);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    public String service() {
        return App.service(app, type);
    }

    public JobSpec withRestart(int attempt, Instant notBefore) {
        return new JobSpec(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, blocked, slugUrl);
    }

    public JobSpec withBlocked(String reason) {
        return new JobSpec(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, reason, slugUrl);
    }
}
