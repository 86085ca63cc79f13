package dev.grid.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The keys under some prefixes, kept up to date by one watch of what the prefixes have in common
 * (the whole store for prefixes that share nothing): every transaction's changes arrive together
 * and in order, so a {@link #snapshot} is what etcd held at one revision, however many prefixes
 * it covers. etcd is read once at the start (and again only if it compacted what the watch still
 * needed); reading the mirror costs no read of etcd, a lookup by key or prefix costs what it
 * finds, and each value is decoded once ({@link #values}, {@link #value}), not on every read.
 * Its entries carry the mod revisions transactions compare against; their lease is not kept (0).
 */
public final class StoreMirror implements AutoCloseable {
    private final Store store;
    private final List<String> prefixes;
    /** Told the keys each change touched, or null when everything may have changed (a re-read). */
    private final Consumer<Set<String>> onChange;
    /** What every kept key starts with: the one prefix read and watched. */
    private final String common;
    private final TreeMap<String, Entry> entries = new TreeMap<>();
    private long revision;
    private long reads;
    private final Subscription watch;

    public StoreMirror(Store store, List<String> prefixes, Runnable onChange) {
        this(store, prefixes, (Consumer<Set<String>>) keys -> onChange.run());
    }

    /**
     * A mirror whose listener is told which kept keys each change touched (null: the mirror read
     * etcd again and any key may have changed), so that a change to one thing costs work for that
     * thing. The listener runs on the watch's thread and must be quick.
     */
    public static StoreMirror withChangedKeys(Store store, List<String> prefixes, Consumer<Set<String>> onChange) {
        return new StoreMirror(store, prefixes, onChange);
    }

    private StoreMirror(Store store, List<String> prefixes, Consumer<Set<String>> onChange) {
        this.store = store;
        this.prefixes = List.copyOf(prefixes);
        this.common = commonPrefix(this.prefixes);
        this.onChange = onChange;
        long rev = reload();
        this.watch = store.watchResuming(common, rev + 1, this::apply, () -> {
            long r = reload();
            onChange.accept(null);
            return r;
        });
    }

    private boolean kept(String key) {
        for (String p : prefixes) if (key.startsWith(p)) return true;
        return false;
    }

    /** The longest string every prefix starts with ("" when they share nothing). */
    static String commonPrefix(List<String> prefixes) {
        if (prefixes.isEmpty()) return "";
        String c = prefixes.get(0);
        for (String p : prefixes) {
            int i = 0;
            while (i < c.length() && i < p.length() && c.charAt(i) == p.charAt(i)) i++;
            c = c.substring(0, i);
        }
        return c;
    }

    private synchronized long reload() {
        Snapshot s = store.list(common);
        entries.clear();
        for (Entry e : s.entries()) if (kept(e.key())) entries.put(e.key(), e);
        revision = s.revision();
        reads++;
        notifyAll();
        return revision;
    }

    private void apply(List<Change> changes) {
        Set<String> touched = new LinkedHashSet<>();
        synchronized (this) {
            for (Change c : changes) {
                revision = Math.max(revision, c.revision());
                if (!kept(c.key())) continue;
                touched.add(c.key());
                if (c.type() == Change.Type.DELETE) {
                    entries.remove(c.key());
                } else {
                    Entry was = entries.get(c.key());
                    entries.put(c.key(), new Entry(c.key(), c.value(), c.revision(), was == null ? c.revision() : was.createRevision(), 0));
                }
            }
            notifyAll();
        }
        if (!touched.isEmpty()) onChange.accept(touched);
    }

    /** The kept keys as of the last change applied. */
    public synchronized Snapshot snapshot() {
        return new Snapshot(revision, new ArrayList<>(entries.values()));
    }

    /** The entry at {@code key}, or null. */
    public synchronized Entry get(String key) {
        return entries.get(key);
    }

    /** The entries under {@code prefix} (one of the kept prefixes, or a narrower one), in key order. */
    public synchronized List<Entry> entries(String prefix) {
        return new ArrayList<>(under(prefix).values());
    }

    private Map<String, Entry> under(String prefix) {
        return entries.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
    }

    /**
     * The values under {@code prefix} as of the last change applied, in key order. A record is
     * decoded once for as long as its key does not change ({@link Entry#as}), and shared between
     * callers.
     */
    public <T> List<T> values(String prefix, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Entry e : entries(prefix)) out.add(e.as(type));
        return out;
    }

    /** The value at {@code key} decoded as {@code type} (as {@link #values}), or null. */
    public <T> T value(String key, Class<T> type) {
        Entry e = get(key);
        return e == null ? null : e.as(type);
    }

    /** The revision of the last change applied (or of the last read). */
    public synchronized long revision() {
        return revision;
    }

    /**
     * Waits until the mirror has applied revision {@code rev} (a transaction this process just
     * committed, that wrote under the prefixes' common part), at most {@code max}; whether it has.
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
