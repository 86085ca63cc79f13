package dev.grid.appliance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The next step of a rolling keeper upgrade, as a pure function: which one node of a cluster
 * to restart on the wanted keeper program now, or why to wait. One node at a time, and only
 * while the others can carry the cluster: nodes that are down anyway first, then the asyncs,
 * then the sync, and the primary last, once the sync runs the new program and (synchronous
 * replication) holds every acknowledged write, or (asynchronous) every replica streams: so the
 * failover its restart causes promotes an upgraded node and loses what failover always may, no more. A node is done when it reports the wanted program; until then the upgrade waits for
 * it, so a program that never comes up stops the upgrade with one node down, never more.
 *
 * @see Manager
 */
public final class Upgrade {
    private Upgrade() {}

    /** Restart {@code node} on the wanted program, or nothing ({@code node} null) and why. */
    public record Step(String node, String why) {
        static Step waiting(String why) {
            return new Step(null, why);
        }
    }

    /**
     * @param wanted  the program every node should run (a {@link KeeperProgram} name), or null
     * @param slugs   each member's program as its job is given it now (from the cluster app's release)
     * @param reports the keepers' live reports by node id
     * @param synchronous whether the sync holds every acknowledged write ({@link ClusterSpec#synchronous}):
     *                    then the primary goes only once the sync is caught up; otherwise once every replica streams
     */
    public static Step next(ClusterState state, List<String> members, Map<String, String> slugs, Map<String, NodeReport> reports, String wanted,
                            boolean synchronous) {
        if (wanted == null) return Step.waiting("no keeper program wanted");
        List<String> behind = new ArrayList<>();
        for (String m : members) if (!done(m, reports, wanted)) behind.add(m);
        if (behind.isEmpty()) return Step.waiting("every node runs " + wanted);
        for (String m : behind) {
            if (wanted.equals(slugs.get(m))) return Step.waiting(m + " is starting " + wanted);
        }
        if (state == null || state.primary() == null) return Step.waiting("the cluster has no primary yet");
        // Nodes that are down already cost nothing to restart.
        for (String m : behind) {
            NodeReport r = reports.get(m);
            if (!m.equals(state.primary()) && (r == null || !r.healthy())) return new Step(m, m + " is down: restarted on " + wanted);
        }
        NodeReport primary = reports.get(state.primary());
        if (primary == null || !primary.isWritablePrimary()) return Step.waiting("upgrade paused: the primary " + state.primary() + " is not serving");
        // Nor do replicas that hold nothing up: not streaming from a serving primary, or (cascading) its sync (an old node that
        // cannot sign in to an upgraded primary, say). Only once the primary serves: a failover may need them.
        for (String m : behind) {
            NodeReport r = reports.get(m);
            if (!m.equals(state.primary()) && !state.streams(m, r)) return new Step(m, m + " does not stream from the primary: restarted on " + wanted);
        }
        String notWhole = notWhole(state, members, reports, synchronous);
        if (notWhole != null) return Step.waiting("upgrade paused: " + notWhole);
        for (String m : behind) {
            if (!m.equals(state.primary()) && !m.equals(state.sync())) return new Step(m, "async " + m + " restarted on " + wanted);
        }
        if (behind.contains(state.sync())) return new Step(state.sync(), "sync " + state.sync() + " restarted on " + wanted);
        return new Step(state.primary(), "primary " + state.primary() + " restarted on " + wanted
                + (state.sync() == null ? "; no replica takes over: down while it restarts" : "; sync " + state.sync() + " (on it already) takes over"));
    }

    private static boolean done(String node, Map<String, NodeReport> reports, String wanted) {
        NodeReport r = reports.get(node);
        return r != null && r.healthy() && wanted.equals(r.program());
    }

    /** Why the cluster cannot lose a node now, or null when it can. */
    private static String notWhole(ClusterState state, List<String> members, Map<String, NodeReport> reports, boolean synchronous) {
        if (synchronous && state.sync() != null && !state.syncReady()) return "the sync " + state.sync() + " is catching up";
        for (String m : members) {
            if (m.equals(state.primary())) continue;
            NodeReport r = reports.get(m);
            if (!state.streams(m, r)) return m + " is not replicating from the primary";
        }
        return null;
    }
}
