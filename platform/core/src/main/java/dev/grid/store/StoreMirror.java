package dev.grid.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The keys under some prefixes, kept up to date by one watch of the whole store: every
 * transaction's changes arrive together and in order, so a {@link #snapshot} is what etcd held
 * at one revision, however many prefixes it covers. etcd is read in full once at the start (and
 * again only if it compacted what the watch still needed); a snapshot costs no read of etcd.
 * Its entries carry the mod revisions transactions compare against; their lease is not kept (0).
 */
public final class StoreMirror implements AutoCloseable {
    private final Store store;
    private final List<String> prefixes;
    private final Runnable onChange;
    private final TreeMap<String, Entry> entries = new TreeMap<>();
    private long revision;
    private long reads;
    private final Subscription watch;

    public StoreMirror(Store store, List<String> prefixes, Runnable onChange) {
        this.store = store;
        this.prefixes = List.copyOf(prefixes);
        this.onChange = onChange;
        long rev = reload();
        this.watch = store.watchResuming("", rev + 1, this::apply, () -> {
            long r = reload();
            onChange.run();
            return r;
        });
    }

    private boolean kept(String key) {
        for (String p : prefixes) if (key.startsWith(p)) return true;
        return false;
    }

    private synchronized long reload() {
        Snapshot s = store.list("");
        entries.clear();
        for (Entry e : s.entries()) if (kept(e.key())) entries.put(e.key(), e);
        revision = s.revision();
        reads++;
        notifyAll();
        return revision;
    }

    private void apply(List<Change> changes) {
        boolean mine = false;
        synchronized (this) {
            for (Change c : changes) {
                revision = Math.max(revision, c.revision());
                if (!kept(c.key())) continue;
                mine = true;
                if (c.type() == Change.Type.DELETE) {
                    entries.remove(c.key());
                } else {
                    Entry was = entries.get(c.key());
                    entries.put(c.key(), new Entry(c.key(), c.value(), c.revision(), was == null ? c.revision() : was.createRevision(), 0));
                }
            }
            notifyAll();
        }
        if (mine) onChange.run();
    }

    /** The kept keys as of the last change applied. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(revision, new ArrayList<>(entries.values()));
    }

    /**
     * Waits until the mirror has applied revision {@code rev} (a transaction this process just
     * committed), at most {@code max}; whether it has. Revisions of keys outside the prefixes
     * count too, as the watch sees every key.
     */
    public synchronized boolean awaitRevision(long rev, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (revision < rev) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** How many times etcd was read in full (once, unless it compacted what the watch needed). */
    public synchronized long reads() {
        return reads;
    }

    @Override
    public void close() {
        watch.close();
    }
}
