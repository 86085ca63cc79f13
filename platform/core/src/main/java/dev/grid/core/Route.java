package dev.grid.core;

import java.time.Instant;

/**
 * How traffic reaches a service. An HTTP route matches a host (exact, or a
 * {@code *.} wildcard) and a path prefix; a TCP route owns a port. A TCP route
 * with {@code leader} set forwards only to the service's leader.
 *
 * <p>{@code listen} says where a TCP route's port is open: {@link #PUBLIC} on the router's
 * address (every interface by default), or {@link #ADDON} only where apps reach add-ons
 * ({@code GRID_ADDON_HOST}, loopback by default). Null in a route an earlier Grid wrote,
 * until the controller's upgrade decides. {@code timeoutSeconds} is how long an HTTP route's
 * app may take to begin its answer before the router gives 503 H12; 0 is the router's own
 * (30 s, as Heroku's).
 */
public record Route(String id, Type type, String host, String path, String service, int port, boolean leader, Instant createdAt,
                    String listen, int timeoutSeconds) {
    /** The longest {@code timeoutSeconds}: Heroku's is fixed at 30; an app may ask for up to 10 minutes. */
    public static final int MAX_TIMEOUT_SECONDS = 600;

    public enum Type { HTTP, TCP }

    public static final String PUBLIC = "public";
    public static final String ADDON = "addon";

    public static Route http(String id, String host, String path, String service) {
        return new Route(id, Type.HTTP, host.toLowerCase(), path == null || path.isEmpty() ? "/" : path, service, 0, false, Instant.now(), PUBLIC, 0);
    }

    public static Route tcp(String id, int port, String service, boolean leader) {
        return tcp(id, port, service, leader, PUBLIC);
    }

    public static Route tcp(String id, int port, String service, boolean leader, String listen) {
        return new Route(id, Type.TCP, null, null, service, port, leader, Instant.now(), listen, 0);
    }

    /** This route, listening as {@code listen} says. */
    public Route listening(String listen) {
        return new Route(id, type, host, path, service, port, leader, createdAt, listen, timeoutSeconds);
    }

    /** This route, its app given {@code seconds} to begin an answer (0: the router's own). */
    public Route withTimeout(int seconds) {
        return new Route(id, type, host, path, service, port, leader, createdAt, listen, seconds);
    }

    /** Whether the port is open only where apps reach add-ons. */
    public boolean addonOnly() {
        return ADDON.equals(listen);
    }
}
