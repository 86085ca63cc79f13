package dev.grid.controller;

/**
 * The controller's settings: the bearer token every client must present, the
 * domain under which apps get their default route ({@code APP.DOMAIN}), and
 * the range TCP routes take their ports from, the base of apps' git URLs, the host
 * add-on URLs name (where apps reach the router's TCP routes: every host runs a
 * router, so 127.0.0.1 by default), the image appliance nodes run from, and the UIDs apps
 * are given (each app its own, for its processes and builds).
 */
public record ControllerConfig(String token, String domain, int tcpPortMin, int tcpPortMax, String gitBaseUrl,
                               String addonHost, String stackImage, int appUidMin, int appUidMax, String keeperJavaOptions) {
    public ControllerConfig(String token, String domain, int tcpPortMin, int tcpPortMax, String gitBaseUrl,
                            String addonHost, String stackImage, int appUidMin, int appUidMax) {
        this(token, domain, tcpPortMin, tcpPortMax, gitBaseUrl, addonHost, stackImage, appUidMin, appUidMax, "");
    }

    public static ControllerConfig of(String token) {
        return new ControllerConfig(token, "localhost", 30000, 30999, null, "127.0.0.1", dev.grid.core.StackImage.DEFAULT, 200000, 299999);
    }

    /** Where `git push` goes for an app, e.g. ssh://git@127.0.0.1:2222/myapp.git; null when no builder runs. */
    public String gitUrl(String app) {
        return gitBaseUrl == null ? null : gitBaseUrl + app + ".git";
    }
}
