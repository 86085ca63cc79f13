package dev.grid.appliance;

import dev.grid.appliance.Failover.Decision;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.discovery.Discovery;
import dev.grid.store.Deploys;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.LeaderElection;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An appliance's manager: any number may run, one leads. The leader follows every
 * cluster of its appliance (specs, state, keepers' leased reports) in a {@link StoreMirror},
 * so that its rounds read no more of etcd with a thousand clusters than with one; it applies
 * {@link Failover#decide} with compare-and-swap on the state key, and makes the primary
 * the leader of the cluster's service, which the TCP route follows. While the cluster is steady
 * it also rolls its nodes onto the keeper program {@link Clusters#upgradeKeepers} named, one at a time.
 */
public final class Manager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Manager.class);
    /** Also wakes periodically: a primary being down long enough is a matter of time passing. */
    private static final Duration PERIOD = Duration.ofMillis(500);

    private final Store store;
    private final String appliance;
    private final Failover.Rules rules;
    private final LeaderElection election;
    private final CoalescedTask task;
    /** Each cluster's last decision, so that only a new one is logged. */
    private final Map<String, String> lastWhy = new ConcurrentHashMap<>();
    /** Each cluster's last upgrade step, so that only a new one is logged. */
    private final Map<String, String> lastUpgrade = new ConcurrentHashMap<>();
    /** Each cluster's primary as last published as its service's leader. */
    private final Map<String, String> published = new ConcurrentHashMap<>();
    /** Each cluster's members' latest reports, so that a report that goes is noted ({@link ClusterKeys#seen}). */
    private final Map<String, Map<String, NodeReport>> latest = new ConcurrentHashMap<>();
    /** Every cluster of this appliance, kept by one watch. */
    private StoreMirror clusters;
    /** Hosts' addresses to their failure domains, read at most every {@link #HOSTS_TTL}: hosts come and go seldom. */
    private volatile Map<String, String> domainsByAddress = Map.of();
    /** When the hosts were last read (nanoTime); 0: never. */
    private volatile long domainsRead;
    private static final long HOSTS_TTL = Duration.ofSeconds(5).toNanos();

    public Manager(Store store, String appliance, Failover.Rules rules, String candidate) {
        this(store, appliance, rules, candidate, DEFAULT_REPLACE_AFTER);
    }

    /** GRID_NODE_REPLACE_AFTER's default: how long a primary with no standby waits for a lost node's host before the node is made again elsewhere. */
    public static final Duration DEFAULT_REPLACE_AFTER = Duration.ofSeconds(60);
    /** null: never ({@link NodeReplacement}). */
    private final Duration replaceAfter;
    /** Per cluster, when each member was first seen without a report (epoch ms). */
    private final Map<String, Map<String, Long>> missingSince = new ConcurrentHashMap<>();
    /** Per cluster, when jobs and hosts were last read for a replacement (nanoTime): not on every round. */
    private final Map<String, Long> replacementRead = new ConcurrentHashMap<>();

    public Manager(Store store, String appliance, Failover.Rules rules, String candidate, Duration replaceAfter) {
        this.replaceAfter = replaceAfter;
        this.store = store;
        this.appliance = appliance;
        this.rules = rules;
        this.election = new LeaderElection(store, "appliance-" + appliance, candidate, 5);
        this.task = new CoalescedTask("manager-" + appliance, this::round);
    }

    private volatile io.micrometer.core.instrument.MeterRegistry registry;

    /**
     * Records into {@code metrics}, while this manager leads: each reporting node's role
     * ({@code grid_appliance_node_role}, 1 per node and role) and replication lag
     * ({@code grid_appliance_replication_lag_bytes}, or another unit than bytes as the appliance's
     * {@link Positions#unit} says), counted at each scrape, and the failovers it
     * made ({@code grid_appliance_failovers_total}).
     */
    public Manager metrics(dev.grid.metrics.GridMetrics metrics) {
        this.registry = metrics.registry();
        metrics.census("grid.appliance.node.role", "1 for each data node that reports, by its role", null, () -> {
            Map<io.micrometer.core.instrument.Tags, Integer> rows = new HashMap<>();
            nodeCensus().forEach((tags, n) -> rows.put(tags.and("role", n.role()), 1));
            return rows;
        });
        metrics.census("grid.appliance.replication.lag", "How far a replica is behind its primary in the replication stream", rules.positions().unit(), () -> {
            Map<io.micrometer.core.instrument.Tags, Long> rows = new HashMap<>();
            nodeCensus().forEach((tags, n) -> {
                if (n.lag() >= 0) rows.put(tags, n.lag());
            });
            return rows;
        });
        return this;
    }

    /** Every reporting node of this appliance's clusters, by its tags (appliance, cluster, node), while this manager leads; none otherwise. */
    private Map<io.micrometer.core.instrument.Tags, NodeCensus.Node> nodeCensus() {
        Map<io.micrometer.core.instrument.Tags, NodeCensus.Node> out = new HashMap<>();
        StoreMirror m = clusters;
        if (!election.isLeader() || m == null) return out;
        for (Entry e : m.entries(ClusterKeys.appliance(appliance))) {
            if (!e.key().endsWith("/spec")) continue;
            ClusterKeys keys = m.value(e.key(), ClusterSpec.class).keys();
            ClusterState state = m.get(keys.state()) == null ? null : m.value(keys.state(), ClusterState.class);
            Map<String, NodeReport> reports = new HashMap<>();
            for (Entry n : m.entries(keys.nodes())) reports.put(n.name(), m.value(n.key(), NodeReport.class));
            for (NodeCensus.Node n : NodeCensus.of(state, reports, rules.positions())) {
                out.put(io.micrometer.core.instrument.Tags.of("appliance", appliance, "cluster", keys.cluster(), "node", n.node()), n);
            }
        }
        return out;
    }

    public Manager start() {
        clusters = new StoreMirror(store, java.util.List.of(ClusterKeys.appliance(appliance)), task::request);
        task.every(PERIOD);
        return this;
    }

    /**
     * Each host's {@link dev.grid.core.HostInfo#failureDomain} by its address: read again after
     * {@link #HOSTS_TTL}, or at once when a node reports from an address no host had (a host that
     * joined; the hosts not yet registered when this manager started).
     */
    private Map<String, String> domainsByAddress(java.util.Collection<NodeReport> reports) {
        long now = System.nanoTime();
        boolean unknown = reports.stream().anyMatch(r -> r.address() != null && !domainsByAddress.containsKey(r.address()));
        if (domainsRead == 0 || now - domainsRead > HOSTS_TTL || (unknown && now - domainsRead > PERIOD.toNanos())) {
            domainsByAddress = domains(store.values(dev.grid.store.Keys.HOSTS, dev.grid.core.HostInfo.class));
            domainsRead = now;
        }
        return domainsByAddress;
    }

    /** The nodes' failure domains, by node id: their hosts', found by the addresses they report. */
    public static Map<String, String> nodeDomains(Map<String, String> domainsByAddress, Map<String, NodeReport> reports) {
        Map<String, String> domains = new HashMap<>();
        for (NodeReport r : reports.values()) {
            if (r.address() != null && domainsByAddress.containsKey(r.address())) domains.put(r.id(), domainsByAddress.get(r.address()));
        }
        return domains;
    }

    /** Hosts' addresses to their failure domains. */
    public static Map<String, String> domains(java.util.Collection<dev.grid.core.HostInfo> hosts) {
        Map<String, String> out = new HashMap<>();
        for (dev.grid.core.HostInfo h : hosts) out.put(h.address(), h.failureDomain());
        return out;
    }

    /** Whether this manager led in its last round, when it last read etcd, and until when it waits for keepers to report. */
    private boolean wasLeader;
    private long lastRead;
    private long settleUntil;

    private void round() {
        if (!election.isLeader()) {
            wasLeader = false;
            return;
        }
        // One small read a round, whatever the number of clusters: the mirror does not say when etcd
        // is out of reach, and a manager that was cut off from it settles before it fails over.
        store.get(ClusterKeys.appliance(appliance));
        long now = System.currentTimeMillis();
        long settle = Failover.settleUntil(settleUntil, wasLeader, lastRead, now);
        if (settle != settleUntil && now < settle) log.info("{}: waiting up to {} s for every keeper to report before any failover ({})", appliance,
                Failover.SETTLE.toSeconds(), wasLeader ? "etcd was out of reach for " + (now - lastRead) / 1000 + " s" : "this manager now leads");
        settleUntil = settle;
        wasLeader = true;
        lastRead = now;
        for (Entry e : clusters.entries(ClusterKeys.appliance(appliance))) {
            if (!e.key().endsWith("/spec")) continue;
            ClusterSpec spec = clusters.value(e.key(), ClusterSpec.class);
            try {
                manage(spec);
            } catch (RuntimeException ex) {
                log.warn("{} {}: {}", appliance, spec.cluster(), ex.toString());
            }
        }
    }

    private void manage(ClusterSpec spec) {
        ClusterKeys keys = spec.keys();
        Entry stateEntry = clusters.get(keys.state());
        ClusterState state = stateEntry == null ? null : clusters.value(keys.state(), ClusterState.class);
        Map<String, NodeReport> alive = new HashMap<>();
        for (Entry n : clusters.entries(keys.nodes())) alive.put(n.name(), clusters.value(n.key(), NodeReport.class));
        noteGone(keys, alive);
        Map<String, String> domains = nodeDomains(domainsByAddress(alive.values()), alive);
        Decision d = Failover.decide(state, spec.members(), alive, System.currentTimeMillis(),
                rules.forCluster(spec), domains, settleUntil);
        if (!d.why().equals(lastWhy.put(keys.cluster(), d.why()))) log.info("{} {}: {}", appliance, spec.cluster(), d.why());
        if (d.changed()) {
            long rev = stateEntry == null ? 0 : stateEntry.modRevision();
            long committed = store.txn().ifUnchanged(keys.state(), rev).put(keys.state(), d.next()).commitRevision();
            if (committed <= 0) {
                task.request(); // someone else changed it: decide again on what is there now
                return;
            }
            io.micrometer.core.instrument.MeterRegistry r = registry;
            if (r != null && NodeCensus.failedOver(state, d.next())) {
                r.counter("grid.appliance.failovers", "appliance", appliance, "cluster", keys.cluster()).increment();
            }
            // The next round decides on what it wrote, not on the state before it.
            clusters.awaitRevision(committed, Duration.ofSeconds(2));
            state = d.next();
        } else {
            upgrade(spec, state, alive);
            replaceLost(spec, state, alive);
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

    /**
     * Lets the scheduler make one lost node again elsewhere when {@link NodeReplacement} says it is
     * due: jobs and hosts are read only then, at most every 5 s per cluster.
     */
    private void replaceLost(ClusterSpec spec, ClusterState state, Map<String, NodeReport> alive) {
        ClusterKeys keys = spec.keys();
        Map<String, Long> since = missingSince.computeIfAbsent(keys.cluster(), k -> new ConcurrentHashMap<>());
        long now = System.currentTimeMillis();
        since.keySet().removeIf(alive::containsKey);
        for (String m : spec.members()) if (!alive.containsKey(m)) since.putIfAbsent(m, now);
        if (replaceAfter == null || since.isEmpty()) return;
        // First as if every missing member's host were down: only if one would then be due are jobs and hosts read.
        Map<String, String> unknown = new HashMap<>();
        for (String m : since.keySet()) unknown.put(m, "?");
        if (NodeReplacement.due(state, spec.members(), alive, since, unknown, Set.of(), now, replaceAfter).isEmpty()) return;
        long t = System.nanoTime();
        Long last = replacementRead.get(keys.cluster());
        if (last != null && t - last < Duration.ofSeconds(5).toNanos()) return;
        replacementRead.put(keys.cluster(), t);
        Map<String, String> jobOf = new HashMap<>();
        Map<String, String> hostOf = new HashMap<>();
        for (dev.grid.core.JobSpec j : store.values(Keys.JOBS, dev.grid.core.JobSpec.class)) {
            if (j.app().equals(keys.app())) {
                jobOf.put(j.type(), j.id());
                hostOf.put(j.type(), j.hostId());
            }
        }
        Set<String> up = new java.util.HashSet<>();
        for (Entry h : store.list(Keys.HOSTS).entries()) up.add(h.name());
        NodeReplacement.due(state, spec.members(), alive, since, hostOf, up, now, replaceAfter).ifPresent(m -> {
            if (jobOf.get(m) == null || store.get(Keys.replaceJob(jobOf.get(m))).isPresent()) return;
            store.put(Keys.replaceJob(jobOf.get(m)), Map.of("by", "appliance-" + appliance, "node", m,
                    "why", "primary " + state.primary() + " had no standby for " + replaceAfter.toSeconds() + " s"));
            log.info("{} {}: primary {} has had no standby for {} s and {}'s host {} is down: {} is made again on another host, from {}",
                    appliance, spec.cluster(), state.primary(), replaceAfter.toSeconds(), m, hostOf.get(m), m, state.primary());
        });
    }

    /**
     * Writes the last report of each member whose report went since the last round, once: what
     * {@code hosts:remove} and {@code addons:info} say a lost node last had.
     */
    private void noteGone(ClusterKeys keys, Map<String, NodeReport> alive) {
        Map<String, NodeReport> last = latest.computeIfAbsent(keys.cluster(), k -> new ConcurrentHashMap<>());
        for (var it = last.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (alive.containsKey(e.getKey())) continue;
            store.put(keys.seen(e.getKey()), new HostLoss.LastSeen(e.getValue(), System.currentTimeMillis()));
            it.remove();
        }
        last.putAll(alive);
    }

    /**
     * The rolling keeper upgrade's next step ({@link Upgrade}), when the failover decision left the
     * cluster as it was: one node's process type gets the wanted keeper's slug by a new release of
     * the cluster's app, which restarts that node alone.
     */
    private void upgrade(ClusterSpec spec, ClusterState state, Map<String, NodeReport> alive) {
        ClusterKeys keys = spec.keys();
        Map<?, ?> wantedKeeper = clusters.value(keys.keeper(), Map.class);
        if (wantedKeeper == null) return;
        String slug = String.valueOf(wantedKeeper.get("slug"));
        String wanted = KeeperProgram.name(slug);
        boolean allDone = spec.members().stream().allMatch(m -> alive.get(m) != null && alive.get(m).healthy() && wanted.equals(alive.get(m).program()));
        if (allDone) {
            if (lastUpgrade.remove(keys.cluster()) != null) log.info("{} {}: every node runs keeper {}", appliance, spec.cluster(), wanted);
            return;
        }
        Release release = Deploys.current(store, keys.app()).orElse(null);
        if (release == null) return;
        Map<String, String> programs = new HashMap<>();
        for (String m : spec.members()) {
            String s = release.slugFor(m);
            if (s != null) programs.put(m, KeeperProgram.name(s));
        }
        // Nothing to roll (every job has the program) and no roll of ours to see to its end: a node
        // restarting is the failover's business, not an upgrade's.
        if (spec.members().stream().allMatch(m -> wanted.equals(programs.get(m))) && !lastUpgrade.containsKey(keys.cluster())) return;
        Upgrade.Step step = Upgrade.next(state, spec.members(), programs, alive, wanted, spec.synchronous());
        if (!step.why().equals(lastUpgrade.put(keys.cluster(), step.why()))) log.info("{} {}: keeper upgrade: {}", appliance, spec.cluster(), step.why());
        ProcessType process = step.node() == null ? null : release.processes().get(step.node());
        if (process == null) return;
        String description = "Upgrade the keeper of " + step.node() + (step.node().equals(state.primary()) ? " (the primary)" : " (a replica)") + " to " + wanted;
        // On top of the release current when it is written: a config change made meanwhile is kept.
        Deploys.change(store, keys.app(), latest -> {
            Release r = latest.orElse(release);
            Map<String, ProcessType> processes = new HashMap<>(r.processes());
            ProcessType p = processes.get(step.node());
            if (p != null) processes.put(step.node(), p.withSlug(slug));
            return new Deploys.Next(r.image(), r.slugUrl(), processes, r.env(), description);
        });
    }

    @Override
    public void close() {
        task.close();
        if (clusters != null) clusters.close();
        election.close();
    }
}
