package dev.grid.controller.api;

import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.Json;
import dev.grid.store.Change;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.sse.Event;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;

@Controller
public class ClusterController {
    private final Store store;
    private final dev.grid.blobs.Blobs blobs;

    public ClusterController(Store store, dev.grid.controller.ApplianceCatalog catalog) {
        this.store = store;
        this.blobs = catalog.blobs();
    }

    /** What runs where: hosts with their jobs, and the scheduler leader. */
    @Get("/status")
    public Map<String, Object> status() {
        Snapshot s = store.list("");
        List<JobSpec> jobs = s.values(Keys.JOBS, JobSpec.class).toList();
        List<Map<String, Object>> hosts = s.values(Keys.HOSTS, HostInfo.class).map(h -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("host", h);
            List<JobSpec> mine = jobs.stream().filter(j -> j.hostId().equals(h.id())).toList();
            m.put("jobs", mine.stream().map(JobSpec::id).sorted().toList());
            long reserved = mine.stream().mapToLong(JobSpec::memoryMb).sum();
            m.put("reservedMb", reserved);
            m.put("freeMb", h.schedulableMb() - reserved);
            m.put("schedulableMb", h.schedulableMb());
            m.put("portsInUse", s.values(Keys.STATUS, dev.grid.core.JobStatus.class)
                    .filter(st -> st.hostId().equals(h.id()) && st.port() > 0 && !st.state().isDown()).count());
            return m;
        }).toList();
        var leader = s.get("elections/scheduler");
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("hosts", hosts);
        status.put("scheduler", leader == null ? null : leader.value());
        status.put("routers", s.under(Keys.ROUTERS).map(e -> e.as(Map.class)).toList());
        status.put("apps", s.under(Keys.APPS).count());
        status.put("jobs", jobs.size());
        status.put("unplaced", s.values(Keys.UNPLACED, dev.grid.core.Unplaced.class).toList());
        status.put("revision", s.revision());
        status.put("disk", disk());
        return status;
    }

    /** The last disk reading and when it was taken: status is polled (grid up asks every 200 ms), disks change slowly. */
    private volatile dev.grid.controller.domain.DiskStatus lastDisk;
    private volatile long lastDiskAt;
    private static final long DISK_TTL = java.time.Duration.ofSeconds(5).toNanos();

    private dev.grid.controller.domain.DiskStatus disk() {
        long now = System.nanoTime();
        dev.grid.controller.domain.DiskStatus d = lastDisk;
        if (d != null && now - lastDiskAt < DISK_TTL) return d;
        d = readDisk();
        lastDisk = d;
        lastDiskAt = now;
        return d;
    }

    private dev.grid.controller.domain.DiskStatus readDisk() {
        Store.Space etcd = store.space();
        long free = -1, total = -1, bytes = 0;
        String dir = null;
        if (blobs != null) {
            java.io.File d = blobs.dir().toFile();
            dir = d.toString();
            free = d.getUsableSpace();
            total = d.getTotalSpace();
            try (var files = java.nio.file.Files.walk(blobs.dir())) {
                bytes = files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                bytes = -1; // a blob went away while counting: said as unknown
            }
        }
        return dev.grid.controller.domain.DiskStatus.of(etcd.dbSizeBytes(), dev.grid.store.LocalEtcd.QUOTA_BYTES, etcd.alarms(), dir, free, total, bytes);
    }

    /**
     * Every change to Grid's state, as server-sent events: {type, key, value}. Keys that hold a
     * secret (passwords, private keys, credentials: {@link Keys#isSecret}) are never sent.
     */
    @Get(value = "/events", produces = MediaType.TEXT_EVENT_STREAM)
    public Flux<Event<Map<String, Object>>> events() {
        return Flux.create(sink -> {
            long rev = store.list(Keys.APPS).revision();
            // The first event tells the client it is connected (and sends the headers), then every change follows.
            sink.next(Event.of(Map.<String, Object>of("type", "connected", "revision", rev)));
            Subscription watch = store.watch("", rev + 1, changes -> {
                for (Change c : changes) {
                    if (c.key().startsWith(Keys.CLAIMS) || c.key().startsWith("elections/") || Keys.isSecret(c.key())) continue;
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("type", c.type().name().toLowerCase());
                    e.put("key", c.key());
                    e.put("revision", c.revision());
                    e.put("value", c.value() == null ? null : Json.read(c.value(), Object.class));
                    sink.next(Event.of(e));
                }
            }, () -> {});
            sink.onDispose(watch::close);
        });
    }
}
