package dev.grid.core;

import java.util.Map;

/** What a host agent registers under its lease: where it is and what it can take. */
public record HostInfo(String id, String address, int portMin, int portMax, long memoryMb,
                       Map<String, String> tags, String apiUrl) {
    public HostInfo {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    /**
     * What fails with this host: its {@code zone} tag ({@code GRID_HOST_TAGS=zone=a}) when it has
     * one, else the host alone. Placement spreads over these, and an appliance's sync is taken
     * from another one than its primary's.
     */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String failureDomain() {
        String zone = tags.get("zone");
        return zone != null ? "zone " + zone : "host " + id;
    }

    public boolean hasTags(Map<String, String> wanted) {
        return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(tags.get(e.getKey())));
    }
}
