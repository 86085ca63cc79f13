package dev.grid.host;

import java.util.Map;

/**
 * How one host agent is set up. {@code address} is what other machines (and the
 * router) use to reach this host's jobs; {@code apiPort} 0 picks a free port;
 * {@code stateDir} holds this host's slugs. App processes run as UIDs in
 * {@code appUidMin}-{@code appUidMax} (the Grid's range); with {@code isolation} the host's
 * firewall keeps them from Grid's ports and other apps' jobs.
 */
public record HostConfig(String hostId, String address, int portMin, int portMax, long memoryMb,
                         Map<String, String> tags, long leaseTtlSeconds, int apiPort, String dockerHost, java.nio.file.Path stateDir,
                         int appUidMin, int appUidMax, boolean isolation, double memoryOvercommit) {
    public HostConfig(String hostId, String address, int portMin, int portMax, long memoryMb, Map<String, String> tags, long leaseTtlSeconds,
                      int apiPort, String dockerHost, java.nio.file.Path stateDir, int appUidMin, int appUidMax, boolean isolation) {
        this(hostId, address, portMin, portMax, memoryMb, tags, leaseTtlSeconds, apiPort, dockerHost, stateDir, appUidMin, appUidMax, isolation, 1);
    }

    public HostConfig {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (portMin <= 0 || portMax < portMin) throw new IllegalArgumentException("invalid port range " + portMin + "-" + portMax);
        if (appUidMin < 10000 || appUidMax < appUidMin) throw new IllegalArgumentException("invalid app UID range " + appUidMin + "-" + appUidMax);
    }
}
