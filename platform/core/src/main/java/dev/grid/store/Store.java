package dev.grid.store;

import dev.grid.core.Json;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one access layer over etcd. Every key Grid writes lives under one prefix
 * (default {@code /grid/}); callers name keys relative to it.
 */
public final class Store implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Store.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Client client;
    private final String prefix;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "store-watch-retry");
        t.setDaemon(true);
        return t;
    });

    private final List<ResumingWatch> watches = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final List<String> endpoints;
    private final EtcdAccess access;

    private Store(Client client, List<String> endpoints, String prefix, EtcdAccess access) {
        this.client = client;
        this.endpoints = List.copyOf(endpoints);
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
        this.access = access;
    }

    /** A store on an etcd without authentication (an operator's choice; Grid's own etcd has it on). */
    public static Store connect(List<String> endpoints, String prefix) {
        return connect(endpoints, prefix, EtcdAccess.NONE);
    }

    public static Store connect(List<String> endpoints, String prefix, EtcdAccess access) {
        var builder = Client.builder().endpoints(endpoints.toArray(String[]::new));
        if (access.authenticated()) {
            builder.user(ByteSequence.from(access.user(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(access.password(), StandardCharsets.UTF_8));
        }
        if (access.tls()) {
            try {
                builder.sslContext(ssl -> {
                    if (access.ca() != null) ssl.trustManager(access.ca().toFile());
                    if (access.cert() != null) ssl.keyManager(access.cert().toFile(), access.key().toFile());
                });
            } catch (javax.net.ssl.SSLException e) {
                throw new StoreException("cannot set up TLS to etcd: " + e.getMessage(), e);
            }
        }
        return new Store(builder.build(), endpoints, prefix, access);
    }

    /** The etcd endpoints this store talks to, for processes that must reach the same etcd. */
    public List<String> endpoints() {
        return endpoints;
    }

    /** How this store authenticates: keepers get the same TLS settings with a user of their own. */
    public EtcdAccess access() {
        return access;
    }

    /** etcd's users and roles, for the parts that make keepers' users (needs etcd's root role). */
    public EtcdUsers users() {
        return new EtcdUsers(client.getAuthClient(), prefix);
    }

    public String prefix() {
        return prefix;
    }

    /**
     * How much room etcd's database takes: the largest member's size in bytes (a member that does
     * not answer is left out), and the alarms etcd has raised ({@code NOSPACE}: its quota is hit,
     * and it refuses every write until space is freed and the alarm disarmed).
     */
    public record Space(long dbSizeBytes, List<String> alarms) {}

    public Space space() {
        var maintenance = client.getMaintenanceClient();
        long size = -1;
        for (String endpoint : endpoints) {
            try {
                size = Math.max(size, maintenance.statusMember(endpoint).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).getDbSize());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                // that member does not answer: the others say
            }
        }
        List<String> alarms = new ArrayList<>();
        try {
            for (var a : maintenance.listAlarms().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).getAlarms()) {
                alarms.add(a.getAlarmType().name() + " (member " + Long.toHexString(a.getMemberId()) + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            alarms.add("unknown: etcd's alarms could not be read (" + e.getMessage() + ")");
        }
        return new Space(size, List.copyOf(alarms));
    }

    KV kv() {
        return client.getKVClient();
    }

    ByteSequence bytes(String key) {
        return ByteSequence.from(prefix + key, StandardCharsets.UTF_8);
    }

    private Entry entry(KeyValue kv) {
        String key = kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
        return new Entry(key, kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision(), kv.getCreateRevision(), kv.getLease());
    }

    public Optional<Entry> get(String key) {
        GetResponse r = await(kv().get(bytes(key)));
        return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(entry(r.getKvs().get(0)));
    }

    public <T> Optional<T> get(String key, Class<T> type) {
        return get(key).map(e -> e.as(type));
    }

    /** Every key under the prefix, read at one revision. */
    public Snapshot list(String keyPrefix) {
        GetResponse r = await(kv().get(bytes(keyPrefix), GetOption.builder().isPrefix(true).build()));
        List<Entry> entries = new ArrayList<>(r.getKvs().size());
        for (KeyValue kv : r.getKvs()) entries.add(entry(kv));
        return new Snapshot(r.getHeader().getRevision(), entries);
    }

    public <T> List<T> values(String keyPrefix, Class<T> type) {
        return list(keyPrefix).entries().stream().map(e -> e.as(type)).toList();
    }

    public void put(String key, Object value) {
        put(key, value, 0);
    }

    public void put(String key, Object value, long lease) {
        String text = value instanceof String s ? s : Json.write(value);
        PutOption opt = lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
        await(kv().put(bytes(key), ByteSequence.from(text, StandardCharsets.UTF_8), opt));
    }

    public boolean delete(String key) {
        return await(kv().delete(bytes(key))).getDeleted() > 0;
    }

    public long deletePrefix(String keyPrefix) {
        return await(kv().delete(bytes(keyPrefix), DeleteOption.builder().isPrefix(true).build())).getDeleted();
    }

    public Txn txn() {
        return new Txn(this);
    }

    /** A lease kept alive until closed; {@link Lease#isAlive()} turns false if etcd let it expire. */
    public Lease lease(long ttlSeconds) {
        long id = await(client.getLeaseClient().grant(ttlSeconds)).getID();
        return new Lease(client.getLeaseClient(), id, ttlSeconds);
    }

    /**
     * Watches every key under the prefix from {@code fromRevision} on. If the
     * stream breaks it resumes from the revision after the last one delivered;
     * if that revision was compacted away, {@code onResync} is called so the
     * caller can re-read the prefix, and the watch resumes from the present.
     */
    public Subscription watch(String keyPrefix, long fromRevision, Consumer<List<Change>> onChanges, Runnable onResync) {
        return new ResumingWatch(keyPrefix, fromRevision, onChanges, () -> {
            onResync.run();
            return 0;
        });
    }

    /**
     * As above, for a caller that keeps what it watches: {@code onResync} re-reads it and returns
     * the revision it read at, and the watch resumes right after that revision, so no change
     * between the read and the resumed watch is missed.
     */
    public Subscription watchResuming(String keyPrefix, long fromRevision, Consumer<List<Change>> onChanges, java.util.function.LongSupplier onResync) {
        return new ResumingWatch(keyPrefix, fromRevision, onChanges, onResync);
    }

    private final class ResumingWatch implements Subscription {
        private final String keyPrefix;
        private final Consumer<List<Change>> onChanges;
        private final java.util.function.LongSupplier onResync;
        private volatile long next;
        private volatile boolean closed;
        /** Each underlying watch has a generation; only the current one may deliver events or restart. */
        private int generation;
        private Watch.Watcher watcher;

        ResumingWatch(String keyPrefix, long fromRevision, Consumer<List<Change>> onChanges, java.util.function.LongSupplier onResync) {
            this.keyPrefix = keyPrefix;
            this.onChanges = onChanges;
            this.onResync = onResync;
            this.next = fromRevision;
            watches.add(this);
            start();
        }

        private synchronized void start() {
            if (closed) return;
            int gen = ++generation;
            WatchOption.Builder opt = WatchOption.builder().isPrefix(true);
            if (next > 0) opt.withRevision(next);
            watcher = client.getWatchClient().watch(bytes(keyPrefix), opt.build(), Watch.listener(
                    response -> deliver(gen, response.getEvents()),
                    error -> broken(gen, error),
                    () -> broken(gen, null)));
        }

        private void deliver(int gen, List<WatchEvent> events) {
            List<Change> changes = new ArrayList<>();
            synchronized (this) {
                if (gen != generation || closed) return;
                long floor = next; // one transaction's events share a revision: compare against the start of this batch
                for (WatchEvent ev : events) {
                    Entry e = entry(ev.getKeyValue());
                    if (e.modRevision() < floor) continue; // already delivered before a resume
                    boolean put = ev.getEventType() == WatchEvent.EventType.PUT;
                    changes.add(new Change(put ? Change.Type.PUT : Change.Type.DELETE, e.key(), put ? e.value() : null, e.modRevision()));
                    next = Math.max(next, e.modRevision() + 1);
                }
            }
            if (!changes.isEmpty()) onChanges.accept(changes);
        }

        private void broken(int gen, Throwable error) {
            Watch.Watcher old;
            synchronized (this) {
                if (gen != generation || closed) return;
                generation++; // retire this watch: its close() below must not restart anything
                old = watcher;
            }
            boolean compacted = error instanceof CompactedException || (error != null && error.getCause() instanceof CompactedException);
            if (compacted) {
                log.warn("watch on {} fell behind compaction; resyncing", keyPrefix);
                next = 0;
                long read = onResync.getAsLong();
                if (read > 0) next = read + 1;
            } else {
                log.debug("watch on {} broke ({}); resuming from revision {}", keyPrefix, error, next);
            }
            old.close();
            try {
                retries.schedule(this::start, 500, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException storeClosed) {
                // the store is closing
            }
        }

        @Override
        public void close() {
            Watch.Watcher w;
            synchronized (this) {
                closed = true;
                w = watcher;
            }
            watches.remove(this);
            if (w != null) w.close();
        }
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while talking to etcd", e);
        } catch (ExecutionException e) {
            throw new StoreException("etcd request failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new StoreException("etcd did not answer within " + TIMEOUT.toSeconds() + " s", e);
        }
    }

    @Override
    public void close() {
        for (ResumingWatch w : watches) w.close();
        retries.shutdownNow();
        client.close();
    }
}
