package dev.grid.appliance;

import java.util.Map;

/**
 * What a datastore implements to become a Grid appliance: how to bring one node to
 * a role. The keeper calls these from one thread, again and again as the cluster
 * state changes, so each must be idempotent: asking a running primary to become
 * primary does nothing. An implementation needs a JDK and nothing else; it runs
 * inside the data node's container, beside the datastore, with its data directory
 * on the node's volume.
 */
public interface Datastore {
    /**
     * The Linux capabilities the node's container keeps (it runs as root, with every other one
     * dropped and no-new-privileges): what the datastore's own set-up needs, such as
     * {@code SETUID} and {@code SETGID} to run the server as its own user. None by default.
     */
    default java.util.Set<String> capabilities() {
        return java.util.Set.of();
    }

    /** Called once before anything else. */
    void configure(NodeConfig node) throws Exception;

    /**
     * The cluster's secrets changed ({@link Clusters#renewTls}: new certificates): take them
     * without restarting the server, so no client is cut. Called on the keeper's thread, between
     * rounds. Nothing to do by default.
     */
    default void reconfigure(NodeConfig node) throws Exception {}

    /**
     * Takes the cluster's settings ({@link Clusters#configure}: what its provider accepted, such
     * as Redis's {@code maxmemory-policy}): called before the node first takes a role and again
     * whenever they change, with all of them. A running server applies them at once; one started
     * later starts with them. Nothing to do by default.
     */
    default void settings(Map<String, String> settings) throws Exception {}

    /**
     * How to fence this node while it is the primary, without the keeper: a command the keeper's
     * watchdog runs (a process of its own) once the keeper's lease may have run out, so that the
     * node takes and acknowledges no write while the manager may promote another (Redis:
     * {@code CLIENT PAUSE WRITE}). Null: the datastore needs none (its writes wait for a replica
     * anyway). Asked again every round, so it may change (TLS switched on).
     */
    default Fence fence() {
        return null;
    }

    /** Lifts the fence: the keeper knows again that this node is the primary. */
    default void unfence() throws Exception {}

    /** A command and the env it runs with (the place for passwords). */
    record Fence(java.util.List<String> command, Map<String, String> env) {
        public Fence {
            command = java.util.List.copyOf(command);
            env = Map.copyOf(env);
        }
    }

    /** Makes this node the writable primary: initialises an empty node, starts a stopped one, promotes a replica. */
    void becomePrimary() throws Exception;

    /**
     * Makes this node a replica streaming from {@code upstream}: clones an empty node, and
     * rewinds (or rebuilds) one whose history diverged, such as a deposed primary.
     *
     * @param stalled the node has been a replica of {@code upstream} for a while without
     *                streaming: rewind or rebuild rather than wait
     */
    void follow(Peer upstream, boolean stalled) throws Exception;

    /**
     * On the primary: from now on a write is acknowledged only once {@code replica} has it
     * (null: by no replica). Called again when the sync's address becomes known or changes (its
     * address and port are null and 0 while the keeper has no report of it).
     */
    void requireSync(Peer replica) throws Exception;

    /**
     * Whether the replicas other than the sync stream from the sync rather than from the primary
     * ({@link ClusterState#upstreamOf}): for a datastore whose acknowledgement counts any attached
     * replica (Redis's {@code WAIT}), so that the sync alone can acknowledge, and a replica beside the
     * primary in its failure domain never does. The appliance's {@link Failover.Policy#cascade} must
     * say the same. False by default: every replica streams from the primary.
     */
    default boolean cascades() {
        return false;
    }

    /**
     * The port of the node's own agent for tools beside the datastore, on the node's address, that
     * the keeper reports ({@link NodeReport#toolPort}); 0 for none, the default.
     */
    default int toolPort() {
        return 0;
    }

    /** What the node is now; never throws (a datastore that does not answer is {@link Role#STOPPED}). */
    Observation observe();

    /** Stops the datastore: a deposed primary must not take writes. */
    void stop();

    /** Another node of the cluster. */
    record Peer(String id, String address, int port) {}

    /**
     * How this datastore's positions compare ({@link Observation#position}): whole numbers of
     * bytes by default. The appliance's {@link Failover.Rules#positions} must say the same.
     */
    default Positions positions() {
        return Positions.BYTES;
    }

    /**
     * @param role          what the datastore is now
     * @param position      written (primary) or received (replica) position, in this datastore's own
     *                      text ({@link #positions}); null when it cannot say
     * @param upstream      for a replica, the node it is streaming from now (null: not streaming)
     * @param activeSync    on a primary, the replica the datastore is now waiting for on commit, and
     *                      the only one whose acknowledgement counts (a cascading datastore: the only
     *                      replica attached)
     * @param syncDurable   on a primary with an {@code activeSync}: the position up to which that
     *                      replica holds the writes durably (null: not known yet). The keeper confirms
     *                      the sync caught up once this reaches what the primary had when the sync
     *                      began to count.
     */
    record Observation(Role role, String position, String upstream, String activeSync, String syncDurable, String message) {
        public static Observation stopped(String message) {
            return new Observation(Role.STOPPED, null, null, null, null, message);
        }
    }
}
