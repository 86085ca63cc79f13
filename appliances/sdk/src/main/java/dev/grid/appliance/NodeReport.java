package dev.grid.appliance;

/**
 * What a keeper reports about its node, under its lease: gone when the keeper is.
 *
 * @param role          what the datastore is now
 * @param generation    the cluster generation the keeper last converged to
 * @param upstream      for a replica, the node it streams from (null if not streaming)
 * @param position      the node's replication position, in the datastore's own text ({@link Positions}): written
 *                      (primary) or received (replica); null when it has said none
 * @param syncCaughtUp  for a primary: the sync replica it confirmed holds every acknowledged
 *                      write for this generation, or null
 * @param downSinceMillis when the datastore stopped answering (0 while it answers)
 * @param message       what the keeper is doing, for people
 * @param incarnation   the keeper process's random id: a new one means the node restarted
 * @param program       the keeper program the node runs ({@link dev.grid.appliance.KeeperProgram#publish}'s
 *                      name), or null for a keeper an earlier Grid made, which did not say
 * @param empty         the node's volume was empty when its keeper started, and the node has served nothing since
 *                      (a node made again on a new host, or whose volume was lost): it holds no data, so it is
 *                      never accepted as a primary that restarted. False from a keeper an earlier Grid made.
 * @param toolPort      the port of the node's own agent for tools beside the datastore, on its address (Postgres:
 *                      pgBackRest's TLS server, which base backups read the node's files through), or 0 for none
 */
public record NodeReport(String id, String address, int port, Role role, long generation, String upstream,
                         String position, String syncCaughtUp, long downSinceMillis, String message, String incarnation,
                         String program, boolean empty, int toolPort) {
    public NodeReport(String id, String address, int port, Role role, long generation, String upstream, String position,
                      String syncCaughtUp, long downSinceMillis, String message, String incarnation, String program, boolean empty) {
        this(id, address, port, role, generation, upstream, position, syncCaughtUp, downSinceMillis, message, incarnation, program, empty, 0);
    }

    public NodeReport(String id, String address, int port, Role role, long generation, String upstream, String position,
                      String syncCaughtUp, long downSinceMillis, String message) {
        this(id, address, port, role, generation, upstream, position, syncCaughtUp, downSinceMillis, message, null, null, false);
    }

    public NodeReport(String id, String address, int port, Role role, long generation, String upstream, String position,
                      String syncCaughtUp, long downSinceMillis, String message, String incarnation) {
        this(id, address, port, role, generation, upstream, position, syncCaughtUp, downSinceMillis, message, incarnation, null, false);
    }

    public NodeReport(String id, String address, int port, Role role, long generation, String upstream, String position,
                      String syncCaughtUp, long downSinceMillis, String message, String incarnation, String program) {
        this(id, address, port, role, generation, upstream, position, syncCaughtUp, downSinceMillis, message, incarnation, program, false);
    }

    /** The datastore answers. */
    public boolean healthy() {
        return role != Role.STOPPED;
    }

    public boolean isReplicaOf(String node) {
        return healthy() && role == Role.REPLICA && node != null && node.equals(upstream);
    }

    public boolean isWritablePrimary() {
        return healthy() && role == Role.PRIMARY;
    }
}
