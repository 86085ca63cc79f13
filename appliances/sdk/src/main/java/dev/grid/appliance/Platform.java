package dev.grid.appliance;

import dev.grid.blobs.Blobs;
import dev.grid.core.ProcessType;
import java.util.Map;

/**
 * What Grid offers an appliance's provider: layer 0 (apps, jobs, volumes), routes and blobs, and its
 * clusters' keys in etcd only through {@link Clusters} (no raw store).
 */
public interface Platform {
    /** Where the appliance's clusters live: for {@link Clusters}, which takes this platform. */
    ClusterStore clusterStore();

    /** An election among this appliance's controllers, for a part that one of them runs at a time (Postgres: the archive's repository). */
    dev.grid.store.LeaderElection election(String name, String candidate, int ttlSeconds);

    /** The addresses of every host Grid knows, for certificates that must name wherever a node may run. */
    java.util.List<String> hostAddresses();

    Blobs blobs();

    /** Extra JVM options for every keeper (GRID_KEEPER_JAVA_OPTS): part of the keeper program, so a change rolls every cluster. */
    default String keeperJavaOptions() {
        return "";
    }

    /**
     * Runs {@code processes} as the system app {@code app}, one job each, from the stack image
     * (a JDK and the datastores' Debian packages): creates the app if it
     * does not exist and deploys one release. Data nodes are never replaced by a deploy: only the
     * manager's rolling keeper upgrade ({@link Upgrade}) restarts them, one at a time.
     */
    void runApp(String app, Map<String, ProcessType> processes, Map<String, String> env, String slugUrl);

    /** Stops and deletes the system app; with {@code deleteVolumes}, its data goes too. */
    void destroyApp(String app, boolean deleteVolumes);

    /** A leader-routed TCP route to {@code service}, made on first use: where apps reach the primary. */
    Endpoint tcpEndpoint(String service);

    /** Removes the TCP route to {@code service}, if any. */
    void removeTcpEndpoint(String service);

    /**
     * A directory of this controller's machine for the appliance's own state (Postgres: its
     * archive's repository), beside the blob store; made on first use.
     */
    default java.nio.file.Path localDir(String name) {
        throw new UnsupportedOperationException("this platform keeps no local state");
    }

    /** The address hosts reach this controller's machine at (where the blob store is). */
    default String localAddress() {
        return "127.0.0.1";
    }

    /**
     * Registers a port the appliance's part listens on here as one of Grid's own, for as long as
     * this controller runs: every host's firewall keeps app processes and builds from it.
     */
    default void registerEndpoint(String what, String address, int port) {}

    /** A stable address apps use. */
    record Endpoint(String host, int port) {}
}
