package dev.grid.core;

import java.time.Instant;

/**
 * How traffic reaches a service. An HTTP route matches a host (exact, or a
 * {@code *.} wildcard) and a path prefix; a TCP route owns a port. A TCP route
 * with {@code leader} set forwards only to the service's leader.
 */
public record Route(String id, Type type, String host, String path, String service, int port, boolean leader, Instant createdAt) {
    public enum Type { HTTP, TCP }

    public static Route http(String id, String host, String path, String service) {
        return new Route(id, Type.HTTP, host.toLowerCase(), path == null || path.isEmpty() ? "/" : path, service, 0, false, Instant.now());
    }

    public static Route tcp(String id, int port, String service, boolean leader) {
        return new Route(id, Type.TCP, null, null, service, port, leader, Instant.now());
    }
}
