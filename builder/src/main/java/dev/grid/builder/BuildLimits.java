package dev.grid.builder;

import java.time.Duration;

/**
 * What a build, and a release command, may take: memory (the container is killed beyond it),
 * CPUs (throttled to them), wall-clock time (stopped after it), and the size of a push.
 * Hitting a limit fails the push with that reason.
 */
public record BuildLimits(long memoryMb, double cpus, Duration timeout, long pushBytes) {
    public static final BuildLimits DEFAULTS = new BuildLimits(2048, Runtime.getRuntime().availableProcessors(),
            Duration.ofMinutes(15), 1L << 30);

    public BuildLimits {
        if (memoryMb < 64) throw new IllegalArgumentException("a build needs at least 64 MB of memory");
        if (cpus <= 0) throw new IllegalArgumentException("a build needs a positive number of CPUs");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("a build needs a positive timeout");
        if (pushBytes <= 0) throw new IllegalArgumentException("a push needs a positive size limit");
    }

    public BuildLimits withTimeout(Duration t) {
        return new BuildLimits(memoryMb, cpus, t, pushBytes);
    }

    public BuildLimits withMemoryMb(long mb) {
        return new BuildLimits(mb, cpus, timeout, pushBytes);
    }

    public BuildLimits withPushBytes(long bytes) {
        return new BuildLimits(memoryMb, cpus, timeout, bytes);
    }
}
