package dev.grid.controller;

/**
 * The controller's settings: the bearer token every client must present, the
 * domain under which apps get their default route ({@code APP.DOMAIN}), and
 * the range TCP routes take their ports from.
 */
public record ControllerConfig(String token, String domain, int tcpPortMin, int tcpPortMax) {
    public static ControllerConfig of(String token) {
        return new ControllerConfig(token, "localhost", 30000, 30999);
    }
}
