package dev.grid.store;

/** One key changing in a watch. {@code value} is null for a delete. */
public record Change(Type type, String key, String value, long revision) {
    public enum Type { PUT, DELETE }
}
