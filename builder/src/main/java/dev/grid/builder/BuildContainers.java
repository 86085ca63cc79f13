package dev.grid.builder;

import dev.grid.host.Docker;
import dev.grid.host.Sandbox;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the containers of a build (buildpacks, Dockerfile steps, the release command) in the
 * app's sandbox and within the build's limits: its output streams to the pusher, and a
 * container that outlives the deadline or its memory fails the push with that reason.
 */
final class BuildContainers {
    /** A build runs package managers and compilers: more processes than an app, still bounded. */
    static final long BUILD_PIDS = 4096;

    private final Docker docker;
    private final BuildLimits limits;

    BuildContainers(Docker docker, BuildLimits limits) {
        this.docker = docker;
        this.limits = limits;
    }

    BuildLimits limits() {
        return limits;
    }

    /** The app's UID with the build's memory, CPUs and pids. */
    Sandbox sandbox(int uid) {
        return Sandbox.app(uid, limits.memoryMb()).withCpus(limits.cpus()).withPids(BUILD_PIDS);
    }

    /** When a build (or a release command) that starts now must be done. */
    Instant deadline() {
        return Instant.now().plus(limits.timeout());
    }

    /** A stopped container and how it ended; the caller reads what it needs from it, then removes it. */
    record Finished(String id, int exitCode) {}

    /**
     * Starts the container and streams its output until it exits. Past the deadline it is
     * stopped, and out of memory it was killed: both fail the push naming {@code what} and the
     * limit. Otherwise the stopped container is the caller's to remove.
     */
    Finished run(Docker.ContainerSpec spec, Consumer<String> out, String what, Instant deadline) {
        String id = docker.run(spec);
        try {
            CountDownLatch ended = new CountDownLatch(1);
            try (var logs = docker.logs(id, true, -1, false, out, ended::countDown)) {
                Duration left = Duration.between(Instant.now(), deadline);
                OptionalInt exit = docker.await(id, left.isNegative() ? Duration.ZERO : left);
                if (exit.isEmpty()) {
                    throw new BuildFailure(what + " was stopped after " + human(limits.timeout())
                            + ", the time a build may take (GRID_BUILD_TIMEOUT)");
                }
                ended.await(10, TimeUnit.SECONDS);
                if (docker.oomKilled(id)) {
                    throw new BuildFailure(what + " ran out of memory: a build may use " + limits.memoryMb() + " MB (GRID_BUILD_MEMORY_MB)");
                }
                return new Finished(id, exit.getAsInt());
            }
        } catch (IOException e) {
            docker.remove(id, 0);
            throw new BuildFailure(what + " lost its output: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            docker.remove(id, 0);
            throw new BuildFailure("interrupted");
        } catch (RuntimeException e) {
            docker.remove(id, 0);
            throw e;
        }
    }

    /** Runs the container to its end and removes it; returns its exit code. */
    int runAndRemove(Docker.ContainerSpec spec, Consumer<String> out, String what, Instant deadline) {
        Finished f = run(spec, out, what, deadline);
        docker.remove(f.id(), 0);
        return f.exitCode();
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 ? s / 3600 + " h" : s % 60 == 0 ? s / 60 + " min" : s + " s";
    }
}
