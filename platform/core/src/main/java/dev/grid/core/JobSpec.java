package dev.grid.core;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job the scheduler assigned to a host (key jobs/HOST/ID). The host converges
 * its containers to these. {@code attempt} counts restarts: when the scheduler
 * bumps it the host replaces the container, not before {@code notBefore}.
 * {@code blocked} says why a volume-bound job cannot run (its host is gone).
 * With a {@code slugUrl}, the host puts that slug at /app. {@code capabilities}: see
 * {@link ProcessType#capabilities}. An {@code attached} one-off's container is made with its stdin
 * open (and a TTY) and waits for its caller to attach before it starts ({@link OneOffRun}).
 */
public record JobSpec(String id, String hostId, String app, String releaseId, String type, String image,
                      String command, Map<String, String> env, long memoryMb, List<VolumeMount> volumes,
                      boolean oneOff, int attempt, Instant notBefore, String blocked, String slugUrl, List<String> capabilities,
                      OneOffRun.Stdio attached) {
    public JobSpec {
        env = env == null ? Map.of() : Map.copyOf(env);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    }

    public JobSpec(String id, String hostId, String app, String releaseId, String type, String image,
                   String command, Map<String, String> env, long memoryMb, List<VolumeMount> volumes,
                   boolean oneOff, int attempt, Instant notBefore, String blocked, String slugUrl) {
        this(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, blocked, slugUrl, List.of());
    }

    public JobSpec(String id, String hostId, String app, String releaseId, String type, String image,
                   String command, Map<String, String> env, long memoryMb, List<VolumeMount> volumes,
                   boolean oneOff, int attempt, Instant notBefore, String blocked, String slugUrl, List<String> capabilities) {
        this(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, blocked, slugUrl, capabilities, null);
    }

    public String service() {
        return App.service(app, type);
    }

    public JobSpec withRestart(int attempt, Instant notBefore) {
        return new JobSpec(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, blocked, slugUrl, capabilities, attached);
    }

    /** The same run, now counted as a job of {@code releaseId} (which would run it exactly so). */
    public JobSpec withRelease(String releaseId) {
        return new JobSpec(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, blocked, slugUrl, capabilities, attached);
    }

    /** Whether a job of {@code type} made from {@code release} would run what this job runs: the same code, config and resources. */
    public boolean runsAs(Release release, String type) {
        ProcessType p = release.processes().get(type);
        return p != null && type.equals(this.type) && java.util.Objects.equals(image, release.image()) && command.equals(p.command())
                && env.equals(release.env()) && memoryMb == p.memoryMb() && volumes.equals(p.volumes())
                && capabilities.equals(p.capabilities()) && java.util.Objects.equals(slugUrl, release.slugFor(type));
    }

    public JobSpec withBlocked(String reason) {
        return new JobSpec(id, hostId, app, releaseId, type, image, command, env, memoryMb, volumes, oneOff, attempt, notBefore, reason, slugUrl, capabilities, attached);
    }
}
