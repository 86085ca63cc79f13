package dev.grid.host;

import java.util.List;

/**
 * What a container may do beyond its own files. Every container Grid starts drops every Linux
 * capability but {@code capabilities}, runs with no-new-privileges (no setuid binary or file
 * capability raises it) and a pids limit. An app's processes and builds run as the app's own
 * UID ({@code user}); a data node runs as root in its container with what its datastore needs.
 */
public record Sandbox(String user, List<String> capabilities, long memoryBytes, long nanoCpus, long pidsLimit) {
    /** Processes per app container: a JVM or Node with its workers, with room to spare; a fork bomb stops here. */
    public static final long APP_PIDS = 1024;
    /** A data node: the datastore's server processes (Postgres: one per connection). */
    public static final long DATA_NODE_PIDS = 2048;

    public Sandbox {
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    }

    /**
     * The sandbox of a job: a data node of one of Grid's own apps keeps its datastore's
     * capabilities as root; an app's job runs as {@code appUid} with none, whatever its spec asks.
     * An app without a UID yet gets no sandbox: its job must not start.
     */
    public static java.util.Optional<Sandbox> of(dev.grid.core.JobSpec job, Integer appUid) {
        if (dev.grid.core.App.isSystem(job.app())) return java.util.Optional.of(dataNode(job.capabilities(), job.memoryMb()));
        return appUid == null ? java.util.Optional.empty() : java.util.Optional.of(app(appUid, job.memoryMb()));
    }

    /** Whether the host adds the app's secret env (a keeper's etcd user) to this job: data nodes only, never a one-off. */
    public static boolean getsAppSecrets(dev.grid.core.JobSpec job) {
        return dev.grid.core.App.isSystem(job.app()) && !job.oneOff();
    }

    /** The UID the container runs as (0: root). */
    public int uid() {
        return user == null ? 0 : Integer.parseInt(user.substring(0, user.indexOf(':')));
    }

    /** An app's process, build step or one-off run: its UID, no capabilities. */
    public static Sandbox app(int uid, long memoryMb) {
        return new Sandbox(uid + ":" + uid, List.of(), memoryMb << 20, 0, APP_PIDS);
    }

    /** A data node of one of Grid's own apps: root in its container, with only the datastore's capabilities. */
    public static Sandbox dataNode(List<String> capabilities, long memoryMb) {
        return new Sandbox(null, capabilities, memoryMb << 20, 0, DATA_NODE_PIDS);
    }

    public Sandbox withCpus(double cpus) {
        return new Sandbox(user, capabilities, memoryBytes, (long) (cpus * 1e9), pidsLimit);
    }

    public Sandbox withPids(long limit) {
        return new Sandbox(user, capabilities, memoryBytes, nanoCpus, limit);
    }
}
