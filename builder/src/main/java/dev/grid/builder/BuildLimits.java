package dev.grid.builder;

import java.time.Duration;

/**
 * What a build, and a release command, may take: memory (the container is killed beyond it),
 * CPUs (throttled to them), wall-clock time (stopped after it), and the size of a push.
 * Hitting a limit fails the push with that reason. {@code minFreeBytes} is the free space a
 * build needs on the builder's disk and the blob store's before it starts: below it, pushes are
 * refused (naming the floor), so that a build cannot fill the disk etcd and the data nodes use.
 */
public record BuildLimits(long memoryMb, double cpus, Duration timeout, long pushBytes, long minFreeBytes) {
    public static final long DEFAULT_MIN_FREE = 1L << 30;
    public static final BuildLimits DEFAULTS = new BuildLimits(2048, Runtime.getRuntime().availableProcessors(),
            Duration.ofMinutes(15), 1L << 30, DEFAULT_MIN_FREE);

    public BuildLimits(long memoryMb, double cpus, Duration timeout, long pushBytes) {
        this(memoryMb, cpus, timeout, pushBytes, DEFAULT_MIN_FREE);
    }

    public BuildLimits {
        if (memoryMb < 64) throw new IllegalArgumentException("a build needs at least 64 MB of memory");
        if (cpus <= 0) throw new IllegalArgumentException("a build needs a positive number of CPUs");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("a build needs a positive timeout");
        if (pushBytes <= 0) throw new IllegalArgumentException("a push needs a positive size limit");
        if (minFreeBytes < 0) throw new IllegalArgumentException("a build's free-space floor cannot be negative");
    }

    /**
     * Why a build may not start with {@code usableBytes} free on {@code where}, or empty when it may.
     * The floor is named, with the setting that moves it.
     */
    public java.util.Optional<String> refusal(long usableBytes, String where) {
        if (usableBytes >= minFreeBytes) return java.util.Optional.empty();
        return java.util.Optional.of("not enough free disk space to build: " + mib(usableBytes) + " free on " + where
                + ", and builds need " + mib(minFreeBytes) + " (GRID_BUILD_MIN_FREE). Free space there (old slugs, images and backups"
                + " are collected by Grid; `docker system df` shows the rest), then push again");
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    public BuildLimits withTimeout(Duration t) {
        return new BuildLimits(memoryMb, cpus, t, pushBytes, minFreeBytes);
    }

    public BuildLimits withMemoryMb(long mb) {
        return new BuildLimits(mb, cpus, timeout, pushBytes, minFreeBytes);
    }

    public BuildLimits withPushBytes(long bytes) {
        return new BuildLimits(memoryMb, cpus, timeout, bytes, minFreeBytes);
    }

    public BuildLimits withMinFreeBytes(long bytes) {
        return new BuildLimits(memoryMb, cpus, timeout, pushBytes, bytes);
    }
}
