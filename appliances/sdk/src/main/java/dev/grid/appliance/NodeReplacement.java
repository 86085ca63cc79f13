package dev.grid.appliance;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * When the manager makes a lost node again on another host by itself, as a pure function. A
 * primary left with no live replica cannot acknowledge a write (synchronous replication waits
 * for one), so after {@code after} (GRID_NODE_REPLACE_AFTER) one member whose host is down is
 * let go: the scheduler places it elsewhere with a fresh volume, and it rebuilds from the
 * primary. That loses nothing, since the primary holds every acknowledged write; it is never
 * done for the primary itself, nor while another member reports (a replica that streams, so writes
 * flow and the node waits for its host or for {@code grid hosts:remove}; or one being rebuilt),
 * nor while another missing member's job is on a host that is up: that one is coming (made again
 * a moment ago, or restarting), and a second made again meanwhile would only move the cluster's
 * nodes off a host that may be back in a moment.
 */
public final class NodeReplacement {
    private NodeReplacement() {}

    /**
     * @param missingSince when each member without a report was first seen without one (epoch ms)
     * @param hostOf       each member's job's host id, where known
     * @param hostsUp      the hosts whose agents hold their lease
     * @return the member to make again now, if any
     */
    public static Optional<String> due(ClusterState s, List<String> members, Map<String, NodeReport> alive, Map<String, Long> missingSince,
                                       Map<String, String> hostOf, Set<String> hostsUp, long now, Duration after) {
        if (s == null || s.primary() == null || after == null) return Optional.empty();
        NodeReport p = alive.get(s.primary());
        if (p == null || !p.isWritablePrimary() || p.generation() != s.generation()) return Optional.empty();
        // Any other member reporting is, or is becoming, a standby (one made again reports while it copies the primary).
        if (members.stream().anyMatch(m -> !m.equals(s.primary()) && alive.containsKey(m))) return Optional.empty();
        if (members.stream().anyMatch(m -> !m.equals(s.primary()) && hostOf.get(m) != null && hostsUp.contains(hostOf.get(m)))) {
            return Optional.empty();
        }
        return members.stream()
                .filter(m -> !m.equals(s.primary()) && !alive.containsKey(m))
                .filter(m -> missingSince.containsKey(m) && now - missingSince.get(m) >= after.toMillis())
                .filter(m -> hostOf.get(m) != null && !hostsUp.contains(hostOf.get(m)))
                .findFirst();
    }
}
