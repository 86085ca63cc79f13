package dev.grid.drains;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where a log drain sends an app's lines, as Heroku's {@code drains:add} takes it:
 * {@code syslog://HOST:PORT} (RFC 5424 over TCP, octet counting), {@code syslog+tls://HOST:PORT}
 * (the same over TLS, the receiver's certificate checked against the host name) or
 * {@code https://...} (batches POSTed as Heroku's Logplex does). Anything else is refused with
 * what would do.
 */
public record DrainUrl(Kind kind, String host, int port, URI uri) {
    public enum Kind { SYSLOG, SYSLOG_TLS, HTTPS }

    private static final String USE = "use syslog://HOST:PORT, syslog+tls://HOST:PORT or https://HOST/PATH";

    public static DrainUrl parse(String url) {
        if (url == null || url.isBlank()) throw new IllegalArgumentException("a drain needs a URL: " + USE);
        URI u;
        try {
            u = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL (" + e.getReason() + "): " + USE);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        Kind kind = switch (scheme) {
            case "syslog" -> Kind.SYSLOG;
            case "syslog+tls" -> Kind.SYSLOG_TLS;
            case "https" -> Kind.HTTPS;
            case "http" -> throw new IllegalArgumentException("'" + url + "' would send the app's logs unencrypted over HTTP: use https://");
            default -> throw new IllegalArgumentException("'" + url + "' is not a drain URL: " + USE);
        };
        if (u.getHost() == null || u.getHost().isBlank()) throw new IllegalArgumentException("'" + url + "' names no host: " + USE);
        int port = u.getPort();
        if (kind != Kind.HTTPS) {
            if (port <= 0) throw new IllegalArgumentException("'" + url + "' names no port: syslog drains need one, e.g. syslog+tls://logs.example.com:6514");
            if (u.getRawUserInfo() != null || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                    || u.getRawQuery() != null) {
                throw new IllegalArgumentException("'" + url + "': a syslog drain is HOST:PORT only, with no user, path or query");
            }
        } else if (port <= 0) {
            port = 443;
        }
        return new DrainUrl(kind, u.getHost(), port, u);
    }

    /** The URL as an operator may see it: an HTTPS drain's password is hidden. */
    public String shown() {
        if (uri.getRawUserInfo() == null) return uri.toString();
        String user = uri.getRawUserInfo();
        int colon = user.indexOf(':');
        return uri.toString().replace(user + "@", (colon < 0 ? user : user.substring(0, colon) + ":***") + "@");
    }
}
