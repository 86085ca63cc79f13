package dev.grid.controller;

/**
 * The controller's settings: the bearer token every client must present, the
 * domain under which apps get their default route ({@code APP.DOMAIN}), and
 * the range TCP routes take their ports from, and the base of apps' git URLs.
 */
public record ControllerConfig(String token, String domain, int tcpPortMin, int tcpPortMax, String gitBaseUrl) {
    public static ControllerConfig of(String token) {
        return new ControllerConfig(token, "localhost", 30000, 30999, null);
    }

    /** Where `git push` goes for an app, e.g. ssh://git@127.0.0.1:2222/myapp.git; null when no builder runs. */
    public String gitUrl(String app) {
        return gitBaseUrl == null ? null : gitBaseUrl + app + ".git";
    }
}
