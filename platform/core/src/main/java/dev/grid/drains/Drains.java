package dev.grid.drains;

import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log drains as one Grid process sees them (a watch on {@code drains/}), and a
 * {@link Shipper} for each: a host sends its jobs' output here, a router its access lines. Each
 * line is sent once, by the process that has it, straight to every drain of its app; no process
 * gathers all logs. The drains an operator adds ({@code grid drains:add}) apply at once.
 */
public final class Drains implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Drains.class);
    /** Lines each drain may hold in each process while its receiver is slow or down. */
    public static final int BUFFER = 10_000;

    /** One drain, as etcd keeps it. {@code id} is its token ({@code d.} and 16 hex digits). */
    public record Drain(String id, String app, String url, Instant createdAt) {}

    private record Sending(Drain drain, Shipper shipper, List<Meter> meters) {}

    private final Store store;
    private final SSLContext tls;
    private final int capacity;
    private final MeterRegistry registry;
    private final Map<String, Sending> byId = new HashMap<>();
    /** App to its drains' shippers, replaced whole on each change: read on every line without a lock. */
    private volatile Map<String, List<Sending>> byApp = Map.of();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile StoreMirror mirror;
    private boolean closed;

    /**
     * @param tls what a drain's TLS trusts (the JVM's default trust store, in Grid)
     * @param registry where each drain's sent and dropped lines are counted, or null
     */
    public Drains(Store store, SSLContext tls, int capacity, MeterRegistry registry) {
        this.store = store;
        this.tls = tls;
        this.capacity = capacity;
        this.registry = registry;
    }

    public Drains start() {
        mirror = new StoreMirror(store, List.of(Keys.DRAINS), this::refresh);
        refresh();
        return this;
    }

    /** Runs {@code listener} after each change of the drains (a host then follows its jobs' output, or stops). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Whether any drain takes {@code app}'s lines. */
    public boolean wants(String app) {
        return byApp.containsKey(app);
    }

    /** Sends one of {@code app}'s lines to each of its drains: buffered, never waiting. */
    public void send(String app, String timestamp, String appName, String procId, String message) {
        List<Sending> to = byApp.get(app);
        if (to == null) return;
        for (Sending s : to) s.shipper().offer(SyslogFrame.frame(timestamp, s.drain().id(), appName, procId, message));
    }

    private void refresh() {
        StoreMirror m = mirror;
        if (m == null) return;
        synchronized (this) {
            if (closed) return;
            Map<String, Drain> wanted = new HashMap<>();
            for (Drain d : m.values(Keys.DRAINS, Drain.class)) wanted.put(d.id(), d);
            for (var it = byId.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                Drain w = wanted.get(e.getKey());
                if (w != null && w.url().equals(e.getValue().drain().url())) continue;
                stop(e.getValue());
                it.remove();
            }
            for (Drain d : wanted.values()) {
                if (byId.containsKey(d.id())) continue;
                try {
                    byId.put(d.id(), begin(d));
                } catch (IllegalArgumentException e) {
                    log.warn("drain {} of {}: {}", d.id(), d.app(), e.getMessage());
                }
            }
            Map<String, List<Sending>> apps = new HashMap<>();
            for (Sending s : byId.values()) apps.computeIfAbsent(s.drain().app(), a -> new ArrayList<>()).add(s);
            byApp = Map.copyOf(apps);
        }
        for (Runnable l : listeners) l.run();
    }

    private Sending begin(Drain d) {
        Shipper shipper = new Shipper(d.id(), DrainUrl.parse(d.url()), tls, capacity);
        List<Meter> meters = new ArrayList<>();
        if (registry != null) {
            meters.add(FunctionCounter.builder("grid.drain.lines", shipper, Shipper::sent).description("Lines sent to a log drain, or dropped from its full buffer")
                    .tags("app", d.app(), "drain", d.id(), "outcome", "sent").register(registry));
            meters.add(FunctionCounter.builder("grid.drain.lines", shipper, Shipper::dropped)
                    .tags("app", d.app(), "drain", d.id(), "outcome", "dropped").register(registry));
            meters.add(Gauge.builder("grid.drain.buffered", shipper, Shipper::buffered).description("Lines waiting for a log drain")
                    .tags("app", d.app(), "drain", d.id()).register(registry));
        }
        return new Sending(d, shipper, meters);
    }

    private void stop(Sending s) {
        s.shipper().close();
        if (registry != null) for (Meter m : s.meters()) registry.remove(m);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (mirror != null) mirror.close();
        for (Sending s : byId.values()) stop(s);
        byId.clear();
        byApp = Map.of();
    }
}
