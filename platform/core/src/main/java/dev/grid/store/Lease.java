package dev.grid.store;

import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;

/** An etcd lease kept alive in the background. Keys put with it vanish when it expires. */
public final class Lease implements AutoCloseable {
    private final io.etcd.jetcd.Lease client;
    private final long id;
    private final long ttlSeconds;
    private final CloseableClient keepAlive;
    private volatile boolean alive = true;
    private volatile Runnable onLost = () -> {};

    Lease(io.etcd.jetcd.Lease client, long id, long ttlSeconds) {
        this.client = client;
        this.id = id;
        this.ttlSeconds = ttlSeconds;
        this.keepAlive = client.keepAlive(id, new StreamObserver<>() {
            @Override public void onNext(LeaseKeepAliveResponse r) {
                if (r.getTTL() <= 0) lost();
            }
            @Override public void onError(Throwable t) { lost(); }
            @Override public void onCompleted() { lost(); }
        });
    }

    private void lost() {
        boolean was = alive;
        alive = false;
        if (was) onLost.run();
    }

    /** Runs {@code then} once if the lease is lost (expired, or its keep-alive ended); not on {@link #close}. */
    public Lease onLost(Runnable then) {
        onLost = then;
        if (!alive) then.run();
        return this;
    }

    public long id() {
        return id;
    }

    public long ttlSeconds() {
        return ttlSeconds;
    }

    public boolean isAlive() {
        return alive;
    }

    /** Stops keeping the lease alive; its keys expire after the TTL (a crash looks the same). */
    @Override
    public void close() {
        alive = false;
        keepAlive.close();
    }

    /** Stops keeping the lease alive and deletes its keys now. */
    public void revoke() {
        close();
        Store.await(client.revoke(id));
    }
}
