package dev.grid.store;

import dev.grid.core.Json;
import java.util.Objects;

/**
 * One key as read from etcd, with the revisions transactions compare against. Keys are relative
 * to the store prefix. A value decoded as a record is kept with the entry: a {@link StoreMirror}
 * holds the same entry until its key changes, so each of its readers decodes it once, not on
 * every round (the scheduler decoded every release and job on every plan).
 */
public final class Entry {
    private final String key;
    private final String value;
    private final long modRevision;
    private final long createRevision;
    private final long lease;
    /** The value as last decoded, if that was a record (immutable, so it may be shared). */
    private volatile Object decoded;

    public Entry(String key, String value, long modRevision, long createRevision, long lease) {
        this.key = key;
        this.value = value;
        this.modRevision = modRevision;
        this.createRevision = createRevision;
        this.lease = lease;
    }

    public String key() {
        return key;
    }

    public String value() {
        return value;
    }

    public long modRevision() {
        return modRevision;
    }

    public long createRevision() {
        return createRevision;
    }

    public long lease() {
        return lease;
    }

    /** The value decoded as {@code type}: once for a record type, afresh for any other (a caller may change a map). */
    public <T> T as(Class<T> type) {
        Object d = decoded;
        if (type.isInstance(d)) return type.cast(d);
        T v = Json.read(value, type);
        if (type.isRecord()) decoded = v;
        return v;
    }

    /** The last path segment of the key. */
    public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && key.equals(e.key) && value.equals(e.value) && modRevision == e.modRevision
                && createRevision == e.createRevision && lease == e.lease;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, value, modRevision, createRevision, lease);
    }

    @Override
    public String toString() {
        return "Entry[key=" + key + ", value=" + value + ", modRevision=" + modRevision + ", createRevision=" + createRevision + ", lease=" + lease + "]";
    }
}
