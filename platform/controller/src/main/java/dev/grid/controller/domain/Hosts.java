package dev.grid.controller.domain;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterSpec;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.HostLoss;
import dev.grid.appliance.Manager;
import dev.grid.appliance.NodeReport;
import dev.grid.controller.ApplianceCatalog;
import dev.grid.core.GridException;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.RemovedHost;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Txn;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The hosts of this Grid ({@code grid hosts}) and declaring one gone for good
 * ({@code grid hosts:remove}): its jobs are then placed elsewhere by the scheduler, data nodes
 * included, with fresh volumes, rebuilt from a surviving member ({@link HostLoss}).
 */
@Singleton
public final class Hosts {
    private final Store store;
    private final List<Appliance> appliances;

    public Hosts(Store store, ApplianceCatalog catalog) {
        this.store = store;
        this.appliances = catalog.appliances();
    }

    /** One host as {@code grid hosts} shows it: up (leased), down (jobs assigned, no lease), or removed. */
    public record HostView(String id, String address, String state, int jobs, long memoryMb, long reservedMb, Map<String, String> tags) {}

    public record Removal(String host, List<String> clusters, int jobsMoved) {}

    public List<HostView> list() {
        return views(store.list(""));
    }

    static List<HostView> views(Snapshot s) {
        Map<String, List<JobSpec>> jobs = s.values(Keys.JOBS, JobSpec.class).collect(Collectors.groupingBy(JobSpec::hostId));
        Map<String, HostView> out = new TreeMap<>();
        for (HostInfo h : s.values(Keys.HOSTS, HostInfo.class).toList()) {
            List<JobSpec> mine = jobs.getOrDefault(h.id(), List.of());
            out.put(h.id(), new HostView(h.id(), h.address(), "up", mine.size(), h.schedulableMb(), mine.stream().mapToLong(JobSpec::memoryMb).sum(), h.tags()));
        }
        for (var e : jobs.entrySet()) {
            if (!out.containsKey(e.getKey())) out.put(e.getKey(), new HostView(e.getKey(), "", "down (no lease: its agent stopped renewing)",
                    e.getValue().size(), 0, e.getValue().stream().mapToLong(JobSpec::memoryMb).sum(), Map.of()));
        }
        for (RemovedHost r : s.values(Keys.REMOVED_HOSTS, RemovedHost.class).toList()) {
            if (!out.containsKey(r.id())) out.put(r.id(), new HostView(r.id(), "", "removed " + r.removedAt(), 0, 0, 0, Map.of()));
        }
        return List.copyOf(out.values());
    }

    /**
     * Declares {@code id} gone for good. Refused, changing nothing, while its lease is alive, when
     * {@code confirm} is not its id again, or when some cluster's primary was there and no survivor
     * is known to hold its acknowledged writes (unless {@code acceptDataLoss}: then the best survivor is promoted).
     */
    public Removal remove(String id, String confirm, boolean acceptDataLoss) {
        if (id == null || id.isBlank()) throw GridException.invalid("name the host to remove (grid hosts lists them)");
        if (!id.equals(confirm)) {
            throw GridException.invalid("removing a host cannot be undone: its data nodes are made again elsewhere, empty. "
                    + "Say which host once more: grid hosts:remove " + id + " --confirm " + id);
        }
        for (int tries = 0; tries < 10; tries++) {
            Snapshot s = store.list("");
            if (s.get(Keys.removedHost(id)) != null) return new Removal(id, List.of("already removed"), 0);
            if (s.get(Keys.host(id)) != null) {
                throw GridException.conflict("host " + id + " is up (its agent renews its lease): hosts:remove is for a host that is gone for good. "
                        + "Stop its Grid server first (grid down on that machine), or wait for its lease to end");
            }
            List<JobSpec> jobs = s.values(Keys.JOBS, JobSpec.class).filter(j -> j.hostId().equals(id)).toList();
            if (jobs.isEmpty() && views(s).stream().noneMatch(h -> h.id().equals(id))) {
                throw GridException.notFound("no host " + id + " (grid hosts lists them)");
            }
            Map<String, String> byAddress = Manager.domains(s.values(Keys.HOSTS, HostInfo.class).toList());
            List<String> whys = new ArrayList<>();
            List<String> refusals = new ArrayList<>();
            Txn txn = store.txn().ifUnchanged(Keys.host(id), 0).ifUnchanged(Keys.removedHost(id), 0);
            for (Appliance a : appliances) {
                for (Entry e : s.under(ClusterKeys.appliance(a.name())).filter(e -> e.key().endsWith("/spec")).toList()) {
                    ClusterSpec spec = e.as(ClusterSpec.class);
                    ClusterKeys keys = spec.keys();
                    Set<String> onHost = jobs.stream().filter(j -> j.app().equals(keys.app())).map(JobSpec::type).collect(Collectors.toSet());
                    Entry stateEntry = s.get(keys.state());
                    ClusterState state = stateEntry == null ? null : stateEntry.as(ClusterState.class);
                    Map<String, NodeReport> alive = new java.util.HashMap<>();
                    s.under(keys.nodes()).forEach(n -> alive.put(n.name(), n.as(NodeReport.class)));
                    Map<String, HostLoss.LastSeen> seen = new java.util.HashMap<>();
                    s.under(keys.root() + "seen/").forEach(n -> seen.put(n.name(), n.as(HostLoss.LastSeen.class)));
                    HostLoss.Verdict v = HostLoss.assess(spec, state, onHost, alive, seen, a.failover().forCluster(spec),
                            Manager.nodeDomains(byAddress, alive), System.currentTimeMillis(), acceptDataLoss);
                    if (onHost.isEmpty()) continue;
                    whys.add(v.why());
                    if (v.decision() != null) {
                        txn.ifUnchanged(keys.state(), stateEntry.modRevision()).put(keys.state(), v.decision());
                    } else if (!v.safe()) {
                        refusals.add(v.why());
                    }
                }
            }
            if (!refusals.isEmpty()) {
                throw GridException.conflict("host " + id + " not removed: " + String.join("; ", refusals));
            }
            txn.put(Keys.removedHost(id), new RemovedHost(id, Instant.now(), acceptDataLoss && whys.stream().anyMatch(w -> w.contains("--accept-data-loss"))));
            if (txn.commit()) return new Removal(id, List.copyOf(whys), jobs.size());
        }
        throw GridException.conflict("host " + id + ": the cluster changed too often while it was being removed; try again");
    }
}
