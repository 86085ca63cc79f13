package dev.grid.appliance;

import java.util.ArrayList;
import java.util.List;

/**
 * The topology of one appliance cluster, owned by the manager and changed only by
 * compare-and-swap. Every change bumps {@code generation}; keepers act on the newest.
 *
 * <p>{@code syncReady} says the synchronous replica is known to hold every write the
 * primary acknowledged: the primary's keeper confirmed it caught up after it was made
 * the sync. Only then may it be promoted. {@code primaryIncarnation} is the primary's keeper
 * process as the manager accepted it: a primary that restarts must be accepted again.
 */
public record ClusterState(long generation, String primary, String sync, List<String> asyncs, List<String> deposed,
                           boolean syncReady, LastFailover lastFailover, long changedAtMillis, String primaryIncarnation) {
    public ClusterState(long generation, String primary, String sync, List<String> asyncs, List<String> deposed,
                        boolean syncReady, LastFailover lastFailover, long changedAtMillis) {
        this(generation, primary, sync, asyncs, deposed, syncReady, lastFailover, changedAtMillis, null);
    }

    public ClusterState {
        asyncs = asyncs == null ? List.of() : List.copyOf(asyncs);
        deposed = deposed == null ? List.of() : List.copyOf(deposed);
    }

    /** What happened at the last failover, for {@code addons:info}. */
    public record LastFailover(long atMillis, String from, String to, String reason) {}

    public String roleOf(String node) {
        if (node.equals(primary)) return "primary";
        if (node.equals(sync)) return syncReady ? "sync" : "sync (catching up)";
        if (asyncs.contains(node)) return "async";
        if (deposed.contains(node)) return "deposed (rejoining)";
        return "new";
    }

    /**
     * Whom {@code node} streams from as a replica: the primary, or with cascading replication
     * ({@link Failover.Policy#cascade}, {@link Datastore#cascades}) the sync, for every node but the
     * sync itself, so that the sync is the one replica attached to the primary.
     */
    public String upstreamOf(String node, boolean cascade) {
        if (!cascade || sync == null || node.equals(sync) || node.equals(primary)) return primary;
        return sync;
    }

    /**
     * Whether {@code r}, node {@code node}'s report, streams as a replica should here: from the
     * primary, or (any node but the sync, with cascading replication) from the sync.
     */
    public boolean streams(String node, NodeReport r) {
        return r != null && (r.isReplicaOf(primary) || (sync != null && !node.equals(sync) && r.isReplicaOf(sync)));
    }

    ClusterState next(String primary, String sync, List<String> asyncs, List<String> deposed, boolean syncReady,
                      LastFailover lastFailover, long now) {
        return new ClusterState(generation + 1, primary, sync, asyncs, deposed, syncReady, lastFailover, now,
                primary.equals(this.primary) ? primaryIncarnation : null);
    }

    ClusterState withPrimaryIncarnation(String incarnation) {
        return new ClusterState(generation, primary, sync, asyncs, deposed, syncReady, lastFailover, changedAtMillis, incarnation);
    }

    static List<String> without(List<String> list, String... nodes) {
        List<String> out = new ArrayList<>(list);
        for (String n : nodes) out.remove(n);
        return out;
    }

    static List<String> with(List<String> list, String node) {
        List<String> out = new ArrayList<>(list);
        if (node != null && !out.contains(node)) out.add(node);
        return out;
    }
}
