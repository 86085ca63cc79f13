package dev.grid.store;

import java.util.List;
import java.util.stream.Stream;

/** All keys under a prefix at one etcd revision. */
public record Snapshot(long revision, List<Entry> entries) {
    public <T> Stream<T> values(String keyPrefix, Class<T> type) {
        return entries.stream().filter(e -> e.key().startsWith(keyPrefix)).map(e -> e.as(type));
    }

    public Stream<Entry> under(String keyPrefix) {
        return entries.stream().filter(e -> e.key().startsWith(keyPrefix));
    }

    public Entry get(String key) {
        return entries.stream().filter(e -> e.key().equals(key)).findFirst().orElse(null);
    }
}
