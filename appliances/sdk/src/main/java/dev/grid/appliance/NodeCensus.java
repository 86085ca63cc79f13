package dev.grid.appliance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an appliance's metrics say about one cluster's data nodes, as a pure function of the
 * keepers' reports and the cluster's state: each node's role, and how far each replica is behind
 * the primary in the replication stream (bytes of WAL for Postgres, of the replication offset for
 * Redis), and whether the primary changed between two states (a failover).
 */
public final class NodeCensus {
    private NodeCensus() {}

    /** A reporting node: its role as it says, and its lag in the positions' unit, or -1 where there is none to say (the primary, or no primary's report). */
    public record Node(String node, String role, long lag) {}

    public static List<Node> of(ClusterState state, Map<String, NodeReport> reports, Positions positions) {
        String primary = state == null ? null : state.primary();
        NodeReport p = primary == null ? null : reports.get(primary);
        List<Node> out = new ArrayList<>();
        for (NodeReport r : new TreeMap<>(reports).values()) {
            String role = r.role() == null ? "unknown" : r.role().word();
            long lag = r.id().equals(primary) || p == null || Role.STOPPED.word().equals(role) ? -1 : positions.distance(r.position(), p.position());
            out.add(new Node(r.id(), role, lag));
        }
        return out;
    }

    /** Whether going from {@code before} to {@code after} fails over: a cluster that had a primary has another one now. */
    public static boolean failedOver(ClusterState before, ClusterState after) {
        return before != null && before.primary() != null && after != null && after.primary() != null && !before.primary().equals(after.primary());
    }
}
