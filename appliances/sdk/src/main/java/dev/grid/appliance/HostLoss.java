package dev.grid.appliance;

import dev.grid.appliance.ClusterState.LastFailover;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.grid.appliance.ClusterState.with;
import static dev.grid.appliance.ClusterState.without;

/**
 * What declaring a host gone for good ({@code grid hosts:remove}) means for one cluster, as a
 * pure function: its nodes there are made again elsewhere, empty, and rebuilt from a surviving
 * member. That is safe unless the primary was there and no survivor is known to hold every write
 * it acknowledged (its sync was there too, or had not caught up): then the best survivor may be
 * promoted only if the operator accepts losing what it lacks.
 */
public final class HostLoss {
    private HostLoss() {}

    /**
     * @param safe     whether removing the host loses no acknowledged write of this cluster
     * @param why      what happens to the cluster, for the operator
     * @param decision with {@code acceptDataLoss}, the state to write (a survivor promoted); else null
     */
    public record Verdict(boolean safe, String why, ClusterState decision) {}

    /** The last report the manager saw of a node before its report went, and when. */
    public record LastSeen(NodeReport report, long atMillis) {}

    /**
     * @param onHost  the cluster's members whose jobs are on the host being removed
     * @param alive   the keepers' reports now (those of {@code onHost} are ignored: that host is gone)
     * @param seen    the last reports of members that stopped reporting ({@link LastSeen}), to say what may be lost
     */
    public static Verdict assess(ClusterSpec spec, ClusterState s, Set<String> onHost, Map<String, NodeReport> alive,
                                 Map<String, LastSeen> seen, Failover.Policy policy, Map<String, String> domains, long now, boolean acceptDataLoss) {
        String name = spec.appliance() + " cluster " + spec.cluster();
        if (onHost.isEmpty()) return new Verdict(true, name + ": no node on this host", null);
        Map<String, NodeReport> survivors = new java.util.HashMap<>(alive);
        survivors.keySet().removeAll(onHost);
        String nodes = String.join(", ", new java.util.TreeSet<>(onHost));
        if (s == null || s.primary() == null || !onHost.contains(s.primary())) {
            return new Verdict(true, name + ": " + nodes + " made again on another host and rebuilt from primary "
                    + (s == null ? "(none yet)" : s.primary()), null);
        }
        Failover.Decision d = Failover.decide(s, spec.members(), survivors, now, policy, domains, 0);
        if (d.changed() && !onHost.contains(d.next().primary())) {
            return new Verdict(true, name + ": primary " + s.primary() + " fails over to " + d.next().primary()
                    + ", which holds every acknowledged write; " + nodes + " made again and rebuilt from it", null);
        }
        Optional<String> best = best(policy.positions(), spec.members(), survivors, onHost);
        String lost = whatMayBeLost(policy.positions(), s, best, survivors, seen);
        if (best.isEmpty()) {
            return new Verdict(false, name + ": primary " + s.primary() + " was on this host and no other node is a live replica to promote; "
                    + "removing the host would leave nothing to rebuild from. Bring a node back first", null);
        }
        String why = name + ": primary " + s.primary() + " was on this host and no surviving node is known to hold every write it acknowledged ("
                + (s.sync() == null ? "it had no sync" : onHost.contains(s.sync()) ? "its sync " + s.sync() + " was there too"
                : "its sync " + s.sync() + (s.syncReady() ? " is not a live replica" : " had not caught up")) + "). " + lost;
        if (!acceptDataLoss) return new Verdict(false, why + " Promoting it needs --accept-data-loss", null);
        String promoted = best.get();
        List<String> rest = new ArrayList<>();
        for (String m : spec.members()) if (!m.equals(promoted) && !m.equals(s.primary())) rest.add(m);
        java.util.function.Function<String, String> domain = n -> domains.getOrDefault(n, "node " + n);
        String sync = rest.stream().filter(m -> survivors.containsKey(m) && survivors.get(m).isReplicaOf(promoted)
                && !domain.apply(m).equals(domain.apply(promoted))).findFirst().orElse(null);
        String cause = "an operator removed the host it was on and accepted losing the writes " + promoted + " lacked";
        ClusterState next = s.next(promoted, sync, without(rest, sync), with(without(s.deposed(), promoted), s.primary()), false,
                new LastFailover(now, s.primary(), promoted, cause), now).withPrimaryIncarnation(survivors.get(promoted).incarnation());
        return new Verdict(false, why + " Promoted " + promoted + " (--accept-data-loss)", next);
    }

    /** The surviving live replica with the highest position that holds data. */
    private static Optional<String> best(Positions positions, List<String> members, Map<String, NodeReport> survivors, Set<String> onHost) {
        return members.stream().filter(m -> !onHost.contains(m) && survivors.containsKey(m))
                .filter(m -> survivors.get(m).healthy() && Role.REPLICA.equals(survivors.get(m).role()) && !survivors.get(m).empty())
                .max(positions.byPosition(m -> survivors.get(m).position()).thenComparing(m -> -members.indexOf(m)));
    }

    /** The best survivor's position against the highest one the lost primary or sync last reported. */
    static String whatMayBeLost(Positions positions, ClusterState s, Optional<String> best, Map<String, NodeReport> survivors, Map<String, LastSeen> seen) {
        LastSeen last = null;
        for (String n : new String[] {s.primary(), s.sync()}) {
            LastSeen l = n == null ? null : seen.get(n);
            if (l != null && (last == null || positions.compare(l.report().position(), last.report().position()) > 0)) last = l;
        }
        if (best.isEmpty()) return "";
        String have = survivors.get(best.get()).position();
        if (last == null) return best.get() + " has position " + have + "; what the lost nodes last had is not known (no manager saw them go).";
        long behind = positions.distance(have, last.report().position());
        return best.get() + " has position " + have + "; " + last.report().id() + " last reported " + last.report().position() + " at "
                + java.time.Instant.ofEpochMilli(last.atMillis()) + (behind == 0 ? ", so no write is known to be missing from it."
                : ": up to " + behind + " " + positions.unit() + " of writes after it may be lost.");
    }
}
