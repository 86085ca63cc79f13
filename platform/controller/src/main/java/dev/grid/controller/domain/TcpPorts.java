package dev.grid.controller.domain;

import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import java.util.Collection;
import java.util.Optional;

/**
 * Which ports a TCP route may not take: one of Grid's own listeners (the router's HTTP and
 * HTTPS, the API, the blob store, SSH, etcd, a host's log server) on any machine, or a port
 * of a host's job range, where the host agent gives apps their PORT. Every router listens for
 * every TCP route on every machine it runs on, so any machine's listener counts.
 */
final class TcpPorts {
    private TcpPorts() {}

    /** Why {@code port} is not a TCP route's to take, or empty if it is free of Grid's. */
    static Optional<String> taken(int port, Collection<GridEndpoint> own, Collection<HostInfo> hosts) {
        for (GridEndpoint e : own) {
            if (e.port() == port) return Optional.of("port " + port + " is Grid's own: " + e.what() + " on " + e.address());
        }
        for (HostInfo h : hosts) {
            if (port >= h.portMin() && port <= h.portMax()) {
                return Optional.of("port " + port + " is in host " + h.id() + "'s job port range " + h.portMin() + "-" + h.portMax()
                        + " (GRID_PORT_RANGE), where apps get their PORT");
            }
        }
        return Optional.empty();
    }
}
