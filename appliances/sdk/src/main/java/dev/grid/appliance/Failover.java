package dev.grid.appliance;

import dev.grid.appliance.ClusterState.LastFailover;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.grid.appliance.ClusterState.with;
import static dev.grid.appliance.ClusterState.without;

/**
 * The manager's whole decision, as a pure function of (cluster state, live node
 * reports, time). The manager applies what it returns with compare-and-swap; the
 * simulator suite drives it without any datastore.
 *
 * <p>Rules, in the order they apply:
 * <ol>
 *   <li>No state yet: once {@link Policy#bootstrapNodes} members report, the first
 *       reporting member is the primary and the next the sync.</li>
 *   <li>A primary whose keeper restarted with an empty volume ({@link NodeReport#empty}) is lost,
 *       never accepted: its data is gone.</li>
 *   <li>The primary is lost when its report is gone (its keeper's lease expired) or it
 *       has been down longer than {@link Policy#primaryDownGrace}. Anything shorter is
 *       waited out, so a restart of the datastore is not a failover.</li>
 *   <li>Synchronous policy (Postgres): only the sync may be promoted, and only when the
 *       primary confirmed it caught up ({@code syncReady}) and it is a live replica. Otherwise
 *       the cluster waits for the primary: promoting anything else could lose an
 *       acknowledged write. Asynchronous policy (Redis): the live replica with the highest
 *       position is promoted.</li>
 *   <li>The old primary is deposed; it returns to the topology as an async only once it
 *       reports as a replica of the current primary.</li>
 *   <li>With the primary healthy: a lost sync is replaced by the live async replica with the
 *       highest position (not yet ready until the primary confirms it caught up).</li>
 *   <li>Cascading replication ({@link Policy#cascade}: Redis, whose {@code WAIT} counts any
 *       replica attached to the primary): the asyncs stream from the sync, so that the sync alone
 *       acknowledges to the primary. An async streaming from the sync counts as streaming
 *       wherever streaming from the primary is asked for. A lost sync with no replica to take its
 *       place, that a reporting node waits for, is dropped, so that the others stream from the
 *       primary until one can.</li>
 *   <li>Failure domains (a node's host, or the host's {@code zone} tag): the sync is chosen
 *       from another domain than the primary's whenever one has a live replica, at bootstrap,
 *       after a failover and when a sync is replaced; and a sync that shares the primary's
 *       domain hands its role to a streaming replica of another domain once there is one, so
 *       that the loss of one domain never takes the primary and every copy of its acknowledged
 *       writes. Nodes with no domain known are each a domain of their own.</li>
 * </ol>
 * Applying a decision and deciding again on the same reports changes nothing: no flapping.
 */
public final class Failover {
    private Failover() {}

    /**
     * How an appliance's clusters fail over, as the appliance declares it ({@link Appliance#failover}).
     * Whether a cluster's writes wait for its sync is the cluster's own ({@link ClusterSpec#synchronous}):
     * {@link #forCluster} makes the one cluster's {@link Policy}.
     *
     * @param primaryDownGrace how long a primary whose keeper lives may be down before it is replaced
     * @param bootstrapNodes   how many members must report before the first primary is chosen
     * @param restartIsFailover whether a primary that restarted is replaced by a replica if one can be
     *                          promoted (a datastore that may lose acknowledged writes on restart,
     *                          such as Redis with AOF everysec, whose replicas would then copy the loss)
     * @param cascade          whether the asyncs stream from the sync rather than from the primary
     *                         ({@link Datastore#cascades}, which must say the same): an async then
     *                         streams from the sync, or from nothing once the sync is lost, and may
     *                         still become the sync
     * @param positions        how the nodes' positions compare ({@link Datastore#positions}, which must say the same)
     */
    public record Rules(Duration primaryDownGrace, int bootstrapNodes, boolean restartIsFailover, boolean cascade, Positions positions) {
        /** Rules whose positions are whole numbers of bytes ({@link Positions#BYTES}). */
        public Rules(Duration primaryDownGrace, int bootstrapNodes, boolean restartIsFailover, boolean cascade) {
            this(primaryDownGrace, bootstrapNodes, restartIsFailover, cascade, Positions.BYTES);
        }

        /** These rules for one cluster: synchronous as the cluster's spec says. */
        public Policy forCluster(ClusterSpec spec) {
            return new Policy(spec.synchronous(), primaryDownGrace, bootstrapNodes, restartIsFailover, cascade, positions);
        }
    }

    /**
     * How one cluster fails over: its appliance's {@link Rules}, and whether acknowledged writes
     * are on the sync (only it may be promoted).
     */
    public record Policy(boolean synchronous, Duration primaryDownGrace, int bootstrapNodes, boolean restartIsFailover, boolean cascade,
                         Positions positions) {
        public Policy(boolean synchronous, Duration primaryDownGrace, int bootstrapNodes) {
            this(synchronous, primaryDownGrace, bootstrapNodes, false, false);
        }

        public Policy(boolean synchronous, Duration primaryDownGrace, int bootstrapNodes, boolean restartIsFailover) {
            this(synchronous, primaryDownGrace, bootstrapNodes, restartIsFailover, false);
        }

        public Policy(boolean synchronous, Duration primaryDownGrace, int bootstrapNodes, boolean restartIsFailover, boolean cascade) {
            this(synchronous, primaryDownGrace, bootstrapNodes, restartIsFailover, cascade, Positions.BYTES);
        }

        /**
         * Whether {@code r} streams as a replica should in {@code s}: from the primary, or with
         * {@link #cascade} from the sync.
         */
        boolean streams(NodeReport r, ClusterState s) {
            return cascade ? s.streams(r.id(), r) : r.isReplicaOf(s.primary());
        }
    }

    /** How long a manager waits for keepers to report again (see {@link #decide(ClusterState, List, Map, long, Policy, Map, long)}). */
    public static final Duration SETTLE = Duration.ofSeconds(5);
    /** A manager that has not read etcd for this long was cut off from it, whatever the reason. */
    public static final Duration BLIND = Duration.ofSeconds(2);

    /**
     * The manager's settling deadline after a round at {@code now} that read etcd: a new one when
     * it was not the leader in its round before or its last successful read was more than
     * {@link #BLIND} ago, else {@code previous}.
     */
    public static long settleUntil(long previous, boolean wasLeader, long lastRead, long now) {
        if (!wasLeader || now - lastRead > BLIND.toMillis()) return Math.max(previous, now + SETTLE.toMillis());
        return previous;
    }

    /** {@code next} is null when nothing changes; {@code why} says what was decided or awaited. */
    public record Decision(ClusterState next, String why) {
        public boolean changed() {
            return next != null;
        }
    }

    public static Decision decide(ClusterState s, List<String> members, Map<String, NodeReport> alive, long now, Policy policy) {
        return decide(s, members, alive, now, policy, Map.of());
    }

    /** As {@link #decide(ClusterState, List, Map, long, Policy)}, with each node's failure domain ({@code domains}: node id to domain). */
    public static Decision decide(ClusterState s, List<String> members, Map<String, NodeReport> alive, long now, Policy policy,
                                  Map<String, String> domains) {
        return decide(s, members, alive, now, policy, domains, 0);
    }

    /**
     * As above; until {@code settleUntil} (epoch ms) a primary or a sync with no report is waited
     * for rather than replaced. The manager sets it when it has just become leader or has just seen etcd again
     * after not reaching it: then every keeper's lease may have ended at once (etcd paused longer
     * than a lease) although no node failed, and the keepers need a moment to report again. Without
     * it, whichever replica reported first after the outage could be promoted, or made the sync
     * (Flynn's TestNoFlap; EtcdOutageTest saw the sync replaced after a 30 s pause).
     */
    public static Decision decide(ClusterState s, List<String> members, Map<String, NodeReport> alive, long now, Policy policy,
                                  Map<String, String> domains, long settleUntil) {
        java.util.function.Function<String, String> domain = n -> domains.getOrDefault(n, "node " + n);
        if (s == null) return bootstrap(members, alive, now, policy, domain);
        String p = s.primary();
        NodeReport pr = alive.get(p);
        if (pr == null && now < settleUntil) {
            return new Decision(null, "primary " + p + " has not reported since etcd was out of reach (or this manager took over); waiting "
                    + Duration.ofMillis(settleUntil - now).toSeconds() + " s more for its keeper before failing over");
        }
        boolean primaryLost = pr == null
                || (!pr.healthy() && pr.downSinceMillis() > 0 && now - pr.downSinceMillis() > policy.primaryDownGrace().toMillis());
        if (primaryLost) return failover(s, alive, now, policy, pr == null ? "its keeper stopped reporting" : "it has been down for "
                + Duration.ofMillis(now - pr.downSinceMillis()).toSeconds() + " s", domain);
        if (pr.incarnation() != null && !pr.incarnation().equals(s.primaryIncarnation()) && pr.empty()) {
            // It came back with an empty volume (made again on another host, or its volume lost): accepting it
            // would start an empty primary, and its replicas would copy the emptiness.
            Decision replaced = failover(s, alive, now, policy, "it came back with an empty volume", domain);
            if (replaced.changed()) return replaced;
            return new Decision(null, "primary " + p + " came back with an empty volume and is not accepted; " + replaced.why());
        }
        if (pr.incarnation() != null && !pr.incarnation().equals(s.primaryIncarnation())) {
            // The primary's keeper restarted: it waits for this decision before serving again.
            if (policy.restartIsFailover() && s.primaryIncarnation() != null) {
                Decision replaced = failover(s, alive, now, policy, "it restarted and may have lost writes it had not replicated", domain);
                if (replaced.changed()) return replaced;
            }
            return new Decision(s.next(p, s.sync(), s.asyncs(), s.deposed(), s.syncReady(), s.lastFailover(), now)
                    .withPrimaryIncarnation(pr.incarnation()), "primary " + p + " (re)started: it stays primary");
        }

        if (s.sync() != null && !alive.containsKey(s.sync()) && now < settleUntil) {
            return new Decision(null, "sync " + s.sync() + " has not reported since etcd was out of reach (or this manager took over); waiting "
                    + Duration.ofMillis(settleUntil - now).toSeconds() + " s more for its keeper before replacing it");
        }
        if (s.sync() == null || !alive.containsKey(s.sync())) {
            // Cascading, the asyncs streamed from the sync that is gone: a live replica will do (it is not ready until it caught up).
            Optional<String> candidate = apart(policy.positions(), s.asyncs().stream(), alive,
                    r -> r.isReplicaOf(p) || (policy.cascade() && r.healthy() && Role.REPLICA.equals(r.role())), domain, domain.apply(p));
            if (candidate.isPresent()) {
                String c = candidate.get();
                List<String> asyncs = with(without(s.asyncs(), c), s.sync());
                return new Decision(s.next(p, c, asyncs, s.deposed(), false, s.lastFailover(), now),
                        (s.sync() == null ? "no sync" : "sync " + s.sync() + " lost") + ": " + c + " is the new sync");
            }
            if (policy.cascade() && s.sync() != null && Stream.concat(s.asyncs().stream(), s.deposed().stream())
                    .anyMatch(n -> alive.containsKey(n) && !policy.streams(alive.get(n), s))) {
                // Cascading, every other node streams from the sync: with it gone and no replica to take
                // its place, a node that does not stream would wait for it as long as it is gone (a deposed
                // primary made again on the host left, say, whose report also keeps the sync from being made
                // again). With no sync named they follow the primary, and the first that streams becomes
                // the sync. While nobody waits for it (a two-node cluster, or asyncs still streaming from
                // the sync's datastore while its keeper is away), the sync stays, and stays ready.
                return new Decision(s.next(p, null, with(s.asyncs(), s.sync()), s.deposed(), false, s.lastFailover(), now),
                        "sync " + s.sync() + " lost and no replica to take its place: the other nodes stream from primary " + p
                                + " until one can");
            }
        } else if (!s.syncReady() && pr.generation() == s.generation() && s.sync().equals(pr.syncCaughtUp())) {
            return new Decision(s.next(p, s.sync(), s.asyncs(), s.deposed(), true, s.lastFailover(), now),
                    "sync " + s.sync() + " caught up with primary " + p);
        }

        if (s.sync() != null && domain.apply(s.sync()).equals(domain.apply(p))) {
            String d = domain.apply(p);
            Optional<String> apart = best(policy.positions(), s.asyncs().stream().filter(a -> !domain.apply(a).equals(d)), alive, r -> policy.streams(r, s));
            if (apart.isPresent()) {
                String c = apart.get();
                return new Decision(s.next(p, c, with(without(s.asyncs(), c), s.sync()), s.deposed(), false, s.lastFailover(), now),
                        "sync " + s.sync() + " shares " + d + " with primary " + p + ": " + c + " (" + domain.apply(c)
                                + ") is the new sync, so that losing " + d + " loses no acknowledged write");
            }
        }

        for (String d : s.deposed()) {
            NodeReport r = alive.get(d);
            if (r != null && policy.streams(r, s) && r.generation() == s.generation()) {
                return new Decision(s.next(p, s.sync(), with(s.asyncs(), d), without(s.deposed(), d), s.syncReady(), s.lastFailover(), now),
                        d + " rejoined as a replica of " + p);
            }
        }
        return new Decision(null, "primary " + p + " is healthy");
    }

    private static Decision bootstrap(List<String> members, Map<String, NodeReport> alive, long now, Policy policy,
                                      java.util.function.Function<String, String> domain) {
        List<String> ready = members.stream().filter(alive::containsKey).toList();
        int needed = Math.min(policy.bootstrapNodes(), members.size());
        if (ready.size() < needed || ready.isEmpty())
            return new Decision(null, "waiting for " + needed + " nodes to report (" + ready.size() + " have)");
        String primary = ready.get(0);
        String sync = ready.stream().skip(1).filter(n -> !domain.apply(n).equals(domain.apply(primary))).findFirst()
                .orElse(ready.size() > 1 ? ready.get(1) : null);
        List<String> asyncs = members.stream().filter(m -> !m.equals(primary) && !m.equals(sync)).toList();
        return new Decision(new ClusterState(1, primary, sync, asyncs, List.of(), false, null, now, alive.get(primary).incarnation()),
                "new cluster: primary " + primary + (sync == null ? "" : ", sync " + sync));
    }

    private static Decision failover(ClusterState s, Map<String, NodeReport> alive, long now, Policy policy, String cause,
                                     java.util.function.Function<String, String> domain) {
        String p = s.primary();
        String promoted;
        if (policy.synchronous()) {
            if (s.sync() == null || !s.syncReady())
                return new Decision(null, "primary " + p + " lost (" + cause + ") and no sync is known to hold every acknowledged write;"
                        + " waiting for " + p + " to return rather than risk losing writes");
            NodeReport sr = alive.get(s.sync());
            if (sr == null || !sr.healthy() || !Role.REPLICA.equals(sr.role()))
                return new Decision(null, "primary " + p + " lost (" + cause + ") and sync " + s.sync()
                        + " is unavailable; waiting for either to return");
            promoted = s.sync();
        } else {
            Optional<String> best = best(policy.positions(), Stream.concat(Stream.ofNullable(s.sync()), s.asyncs().stream()), alive,
                    r -> r.healthy() && Role.REPLICA.equals(r.role()));
            if (best.isEmpty()) return new Decision(null, "primary " + p + " lost (" + cause + ") and no replica is available; waiting");
            promoted = best.get();
        }
        List<String> rest = new ArrayList<>();
        if (s.sync() != null && !s.sync().equals(promoted)) rest.add(s.sync());
        for (String a : s.asyncs()) if (!a.equals(promoted)) rest.add(a);
        String newSync = apart(policy.positions(), rest.stream(), alive, r -> r.healthy() && Role.REPLICA.equals(r.role()), domain, domain.apply(promoted)).orElse(null);
        List<String> asyncs = without(rest, newSync);
        String why = "primary " + p + " lost (" + cause + "): promoted " + promoted;
        return new Decision(s.next(promoted, newSync, asyncs, with(s.deposed(), p), false, new LastFailover(now, p, promoted, cause), now)
                .withPrimaryIncarnation(alive.get(promoted).incarnation()), why);
    }

    /** {@link #best} of the nodes outside {@code avoid}'s domain, else of them all. */
    private static Optional<String> apart(Positions positions, Stream<String> nodes, Map<String, NodeReport> alive, java.util.function.Predicate<NodeReport> ok,
                                          java.util.function.Function<String, String> domain, String avoid) {
        List<String> list = nodes.toList();
        Optional<String> elsewhere = best(positions, list.stream().filter(n -> !domain.apply(n).equals(avoid)), alive, ok);
        return elsewhere.isPresent() ? elsewhere : best(positions, list.stream(), alive, ok);
    }

    /** The live node with the highest position among {@code nodes} that passes {@code ok}; ties go to the earlier node. */
    private static Optional<String> best(Positions positions, Stream<String> nodes, Map<String, NodeReport> alive, java.util.function.Predicate<NodeReport> ok) {
        List<String> list = nodes.toList();
        return list.stream().filter(n -> alive.containsKey(n) && ok.test(alive.get(n)))
                .max(positions.byPosition(n -> alive.get(n).position()).thenComparing(n -> -list.indexOf(n)));
    }
}
