package dev.grid.discovery;

import dev.grid.core.Instance;
import dev.grid.store.Change;
import dev.grid.store.Entry;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Service discovery over etcd. An instance is a key under the registering
 * process's lease, so it disappears when that process does. A service's leader
 * is the instance its leader key names, if one is named (none while that instance
 * is not alive: a failover in progress never falls back to another instance);
 * a service whose leader is never named is led by its oldest instance.
 */
public final class Discovery {
    private final Store store;

    public Discovery(Store store) {
        this.store = store;
    }

    public void register(Instance instance, long leaseId) {
        store.put(Keys.instance(instance.service(), instance.id()), instance, leaseId);
    }

    public void deregister(String service, String id) {
        store.delete(Keys.instance(service, id));
    }

    public List<Instance> instances(String service) {
        return store.values(Keys.instances(service), Instance.class);
    }

    public Optional<Instance> leader(String service) {
        return leaderOf(store.list(Keys.SERVICES + service + "/"), service);
    }

    /** The leader as seen in a snapshot that covers the service's keys. */
    public static Optional<Instance> leaderOf(Snapshot snapshot, String service) {
        List<Entry> live = snapshot.under(Keys.instances(service)).toList();
        Entry chosen = snapshot.get(Keys.leader(service));
        if (chosen != null) {
            return live.stream().filter(e -> e.name().equals(chosen.value())).findFirst().map(e -> e.as(Instance.class));
        }
        return live.stream().min(Comparator.comparingLong(Entry::createRevision)).map(e -> e.as(Instance.class));
    }

    /**
     * Makes {@code instanceId} the leader if the leader key is still at
     * {@code expectedModRevision} (0: no leader was ever set). Returns whether it did.
     */
    public boolean setLeader(String service, String instanceId, long expectedModRevision) {
        return store.txn().ifUnchanged(Keys.leader(service), expectedModRevision).put(Keys.leader(service), instanceId).commit();
    }

    /** Calls {@code onChange} with every change to the service's instances or leader, from now on. */
    public Subscription watch(String service, Consumer<List<Change>> onChange) {
        long rev = store.list(Keys.SERVICES + service + "/").revision();
        return store.watch(Keys.SERVICES + service + "/", rev + 1, onChange, () -> onChange.accept(List.of()));
    }
}
