package dev.grid.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Formation;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.store.Change;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two schedulers acting at once, against a real etcd: hosts are registrations
 * only (no agent runs anything), which is all the scheduler sees of them.
 */
class TwoSchedulersTest {
    private static void setUp(Store store, int web) {
        for (String h : new String[] {"h1", "h2", "h3"}) {
            store.put(Keys.host(h), new HostInfo(h, "127.0.0.1", 20000, 20999, 100_000, Map.of(), ""));
        }
        Release r = new Release("app-v1", "app", 1, "img", Map.of("web", ProcessType.of("x"), "worker", ProcessType.of("y")), Map.of(), Instant.now(), "Deploy", null);
        store.put(Keys.release("app", r.id()), r);
        store.put(Keys.formation("app"), new Formation("app", r.id(), Map.of("web", web, "worker", web / 2)));
    }

    private static void scale(Store store, int web) {
        store.put(Keys.formation("app"), new Formation("app", "app-v1", Map.of("web", web, "worker", web / 2)));
    }

    @Test
    void aSchedulerReadsEtcdInFullOnceAndActsOnChangesFromItsWatch() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            setUp(store, 4);
            try (Scheduler s = new Scheduler(store, "solo", 2, Clock.systemUTC()).start()) {
                awaitJobs(store, 4, 2);
                long reads = s.fullReads();
                assertEquals(1, reads, "the start's one read");
                // Settled: past the grace a new leader gives hosts (2 x 2 s), and one round with nothing to do.
                Eventually.sleep(4500);
                s.requestReconcile();
                Eventually.sleep(500);
                long plans = s.plans();
                // Rounds with nothing to do, every second and on request: no read of etcd, and no plan either.
                for (int i = 0; i < 5; i++) {
                    s.requestReconcile();
                    Eventually.sleep(300);
                }
                Eventually.sleep(1500);
                assertEquals(reads, s.fullReads(), "idle rounds read nothing of etcd");
                assertEquals(plans, s.plans(), "and plan nothing: the state did not change");
                // A change arrives by the watch and is acted on.
                scale(store, 8);
                awaitJobs(store, 8, 4);
                scale(store, 2);
                awaitJobs(store, 2, 1);
                assertEquals(reads, s.fullReads(), "nor do rounds that place and stop");
                assertTrue(s.plans() > plans, "a change is planned for");
            }
        }
    }

    @Test
    void twoActiveSchedulersNeverCreateMoreJobsThanAsked() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            Set<String> live = ConcurrentHashMap.newKeySet();
            AtomicInteger maxWeb = new AtomicInteger();
            java.util.concurrent.atomic.AtomicLong seenRevision = new java.util.concurrent.atomic.AtomicLong();
            AutoCloseable watch = store.watch(Keys.JOBS, store.list("").revision() + 1, changes -> {
                for (Change c : changes) {
                    if (c.type() == Change.Type.PUT) live.add(c.key()); else live.remove(c.key());
                    seenRevision.set(c.revision());
                }
                maxWeb.accumulateAndGet((int) live.stream().filter(k -> k.contains("-web-")).count(), Math::max);
            }, () -> {});
            setUp(store, 30);
            // No election: both act on every change, racing each other.
            try (Scheduler a = new Scheduler(store, "a", 0, Clock.systemUTC()).start();
                 Scheduler b = new Scheduler(store, "b", 0, Clock.systemUTC()).start()) {
                awaitJobs(store, 30, 15);
                long now = store.list(Keys.JOBS).entries().stream().mapToLong(e -> e.modRevision()).max().orElseThrow();
                Eventually.await("the watch to catch up", Duration.ofSeconds(5), seenRevision::get, r -> r >= now);
                assertEquals(30, maxWeb.get(), "never more web jobs than asked, even for a moment");

                for (int round = 0; round < 5; round++) {
                    int target = round % 2 == 0 ? 40 : 10;
                    scale(store, target);
                    a.requestReconcile();
                    b.requestReconcile();
                    awaitJobs(store, target, target / 2);
                }
                maxWeb.set(0);
                live.clear();
                live.addAll(store.list(Keys.JOBS).entries().stream().map(e -> e.key()).toList());
                Eventually.sleep(2500);
                awaitJobs(store, 40, 20);
                assertTrue(maxWeb.get() <= 40, "no overshoot while steady: " + maxWeb.get());
            } finally {
                watch.close();
            }
        }
    }

    @Test
    void withElectionOnlyOneSchedulerLeads() {
        try (Store store = SharedEtcd.newStore();
             Scheduler a = new Scheduler(store, "a", 3, Clock.systemUTC()).start();
             Scheduler b = new Scheduler(store, "b", 3, Clock.systemUTC()).start()) {
            setUp(store, 4);
            Eventually.await("a leader", Duration.ofSeconds(10), () -> a.isLeader() || b.isLeader(), x -> x);
            awaitJobs(store, 4, 2);
            assertTrue(a.isLeader() ^ b.isLeader());
        }
    }

    private static void awaitJobs(Store store, int web, int worker) {
        Eventually.await(web + " web and " + worker + " worker jobs", Duration.ofSeconds(20),
                () -> {
                    var jobs = store.values(Keys.JOBS, JobSpec.class);
                    return Map.of("web", jobs.stream().filter(j -> j.type().equals("web")).count(),
                            "worker", jobs.stream().filter(j -> j.type().equals("worker")).count());
                },
                m -> m.get("web") == web && m.get("worker") == worker);
        // Stays there: nobody adds more afterwards.
        Eventually.sleep(300);
        var jobs = store.values(Keys.JOBS, JobSpec.class);
        assertEquals(web, jobs.stream().filter(j -> j.type().equals("web")).count());
    }
}
