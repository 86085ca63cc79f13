package dev.grid.store;

import dev.grid.core.Json;

/** One key as read from etcd, with the revisions transactions compare against. Keys are relative to the store prefix. */
public record Entry(String key, String value, long modRevision, long createRevision, long lease) {
    public <T> T as(Class<T> type) {
        return Json.read(value, type);
    }

    /** The last path segment of the key. */
    public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
