package dev.grid.host;

import java.util.Map;

/**
 * How one host agent is set up. {@code address} is what other machines (and the
 * router) use to reach this host's jobs; {@code apiPort} 0 picks a free port;
 * {@code stateDir} holds this host's unpacked slugs.
 */
public record HostConfig(String hostId, String address, int portMin, int portMax, long memoryMb,
                         Map<String, String> tags, long leaseTtlSeconds, int apiPort, String dockerHost, java.nio.file.Path stateDir) {
    public HostConfig {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (portMin <= 0 || portMax < portMin) throw new IllegalArgumentException("invalid port range " + portMin + "-" + portMax);
    }
}
