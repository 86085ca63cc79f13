package dev.grid.core;

import java.util.Map;

/** What a host agent registers under its lease: where it is and what it can take. */
public record HostInfo(String id, String address, int portMin, int portMax, long memoryMb,
                       Map<String, String> tags, String apiUrl) {
    public HostInfo {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    public boolean hasTags(Map<String, String> wanted) {
        return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(tags.get(e.getKey())));
    }
}
