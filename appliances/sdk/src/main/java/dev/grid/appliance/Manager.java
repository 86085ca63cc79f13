package dev.grid.appliance;

import dev.grid.appliance.Failover.Decision;
import dev.grid.appliance.Failover.Policy;
import dev.grid.discovery.Discovery;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.LeaderElection;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An appliance's manager: any number may run, one leads. The leader watches every
 * cluster of its appliance (specs, state, keepers' leased reports), applies
 * {@link Failover#decide} with compare-and-swap on the state key, and makes the primary
 * the leader of the cluster's service, which the TCP route follows.
 */
public final class Manager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Manager.class);
    /** Also wakes periodically: a primary being down long enough is a matter of time passing. */
    private static final Duration PERIOD = Duration.ofMillis(500);

    private final Store store;
    private final String appliance;
    private final Failover.Policy policy;
    private final LeaderElection election;
    private final CoalescedTask task;
    /** Each cluster's last decision, so that only a new one is logged. */
    private final Map<String, String> lastWhy = new ConcurrentHashMap<>();
    /** Each cluster's primary as last published as its service's leader. */
    private final Map<String, String> published = new ConcurrentHashMap<>();
    private Subscription watch;

    public Manager(Store store, String appliance, Policy policy, String candidate) {
        this.store = store;
        this.appliance = appliance;
        this.policy = policy;
        this.election = new LeaderElection(store, "appliance-" + appliance, candidate, 5);
        this.task = new CoalescedTask("manager-" + appliance, this::round);
    }

    public Manager start() {
        String prefix = ClusterKeys.appliance(appliance);
        watch = store.watch(prefix, store.list(prefix).revision() + 1, changes -> task.request(), task::request);
        task.every(PERIOD);
        return this;
    }

    private void round() {
        if (!election.isLeader()) return;
        Snapshot all = store.list(ClusterKeys.appliance(appliance));
        for (Entry e : all.entries()) {
            if (!e.key().endsWith("/spec")) continue;
            ClusterSpec spec = e.as(ClusterSpec.class);
            try {
                manage(all, spec);
            } catch (RuntimeException ex) {
                log.warn("{} {}: {}", appliance, spec.cluster(), ex.toString());
            }
        }
    }

    private void manage(Snapshot all, ClusterSpec spec) {
        ClusterKeys keys = spec.keys();
        Entry stateEntry = all.get(keys.state());
        ClusterState state = stateEntry == null ? null : stateEntry.as(ClusterState.class);
        Map<String, NodeReport> alive = new HashMap<>();
        all.under(keys.nodes()).forEach(n -> alive.put(n.name(), n.as(NodeReport.class)));
        Decision d = Failover.decide(state, spec.members(), alive, System.currentTimeMillis(),
                new Policy(spec.synchronous(), policy.primaryDownGrace(), policy.bootstrapNodes(), policy.restartIsFailover()));
        if (!d.why().equals(lastWhy.put(keys.cluster(), d.why()))) log.info("{} {}: {}", appliance, spec.cluster(), d.why());
        if (d.changed()) {
            long rev = stateEntry == null ? 0 : stateEntry.modRevision();
            if (!store.txn().ifUnchanged(keys.state(), rev).put(keys.state(), d.next()).commit()) {
                task.request(); // someone else changed it: decide again on what is there now
                return;
            }
            state = d.next();
        }
        // The leader key lives under services/, outside the snapshot: read it when the primary is not the one last published.
        if (state != null && state.primary() != null && !state.primary().equals(published.get(keys.cluster()))) {
            Entry leader = store.get(Keys.leader(keys.service())).orElse(null);
            if (leader != null && state.primary().equals(leader.value())
                    || new Discovery(store).setLeader(keys.service(), state.primary(), leader == null ? 0 : leader.modRevision())) {
                published.put(keys.cluster(), state.primary());
            }
        }
    }

    @Override
    public void close() {
        task.close();
        if (watch != null) watch.close();
        election.close();
    }
}
