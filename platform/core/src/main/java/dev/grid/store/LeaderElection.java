package dev.grid.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election through etcd: the leader holds {@code elections/NAME} under its
 * lease. The key is created only if absent (a transaction), so there is at most one
 * leader; if the leader dies its lease expires and another candidate takes over.
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    private final Store store;
    private final String key;
    private final String candidate;
    private final long ttlSeconds;
    private final ScheduledExecutorService loop;
    private volatile Lease lease;
    private volatile boolean leader;

    public LeaderElection(Store store, String name, String candidate, long ttlSeconds) {
        this.store = store;
        this.key = "elections/" + name;
        this.candidate = candidate;
        this.ttlSeconds = ttlSeconds;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "election-" + name + "-" + candidate);
            t.setDaemon(true);
            return t;
        });
        loop.scheduleWithFixedDelay(this::campaign, 0, 1, TimeUnit.SECONDS);
    }

    public boolean isLeader() {
        return leader;
    }

    private void campaign() {
        try {
            if (lease == null || !lease.isAlive()) {
                if (leader) log.warn("{} lost its lease; no longer leader of {}", candidate, key);
                leader = false;
                lease = store.lease(ttlSeconds);
            }
            if (!leader) {
                if (store.txn().ifUnchanged(key, 0).put(key, candidate, lease.id()).commit()) {
                    leader = true;
                    log.info("{} is now leader of {}", candidate, key);
                }
            } else {
                Entry e = store.get(key).orElse(null);
                if (e == null || !candidate.equals(e.value()) || e.lease() != lease.id()) {
                    log.warn("{} is no longer leader of {}", candidate, key);
                    leader = false;
                }
            }
        } catch (RuntimeException e) {
            log.debug("campaign for {} failed: {}", key, e.toString());
            leader = false;
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        leader = false;
        Lease l = lease;
        if (l != null) {
            try {
                l.revoke();
            } catch (RuntimeException e) {
                l.close();
            }
        }
    }
}
