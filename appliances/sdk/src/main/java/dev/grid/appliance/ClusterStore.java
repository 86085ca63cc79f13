package dev.grid.appliance;

import dev.grid.store.Store;

/**
 * Where an appliance's clusters live in Grid's etcd, as Grid hands it to the SDK. A provider holds
 * it only inside its {@link Platform} and passes that to {@link Clusters}, which alone reads and
 * writes through it: a provider never touches etcd itself.
 */
public final class ClusterStore {
    private final Store store;

    public ClusterStore(Store store) {
        this.store = store;
    }

    Store store() {
        return store;
    }
}
