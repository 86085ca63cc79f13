package dev.grid.core;

import java.util.Map;

/**
 * What a host agent registers under its lease: where it is and what it can take. Jobs reserve
 * memory against {@link #schedulableMb}: the host's memory times {@code memoryOvercommit}
 * ({@code GRID_MEMORY_OVERCOMMIT}, 1 unless the operator allows more). {@code apiUrl} serves its
 * jobs' logs, and {@code attachAddress} ({@code HOST:PORT}) its attached one-offs' sessions: both
 * to Grid's own parts only.
 */
public record HostInfo(String id, String address, int portMin, int portMax, long memoryMb,
                       Map<String, String> tags, String apiUrl, double memoryOvercommit, String attachAddress) {
    public HostInfo {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (!(memoryOvercommit >= 1)) memoryOvercommit = 1; // hosts that registered before there was overcommit
    }

    public HostInfo(String id, String address, int portMin, int portMax, long memoryMb, Map<String, String> tags, String apiUrl) {
        this(id, address, portMin, portMax, memoryMb, tags, apiUrl, 1, null);
    }

    public HostInfo(String id, String address, int portMin, int portMax, long memoryMb, Map<String, String> tags, String apiUrl, double memoryOvercommit) {
        this(id, address, portMin, portMax, memoryMb, tags, apiUrl, memoryOvercommit, null);
    }

    /** Where {@link #attachAddress} is, as a socket address (null for a host without run sessions). */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public java.net.InetSocketAddress attachEndpoint() {
        if (attachAddress == null) return null;
        int colon = attachAddress.lastIndexOf(':');
        return new java.net.InetSocketAddress(attachAddress.substring(0, colon), Integer.parseInt(attachAddress.substring(colon + 1)));
    }

    /** The memory jobs may reserve here. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public long schedulableMb() {
        return (long) Math.floor(memoryMb * memoryOvercommit);
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
