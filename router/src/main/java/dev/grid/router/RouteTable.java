package dev.grid.router;

import dev.grid.core.Route;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP routes, immutable, built once per change. A request matches the route with
 * its exact host, else the most specific {@code *.} wildcard that covers the host;
 * among those, the longest path prefix that matches on a segment boundary.
 */
public final class RouteTable {
    private static final Comparator<Route> LONGEST_PATH_FIRST = Comparator.comparingInt((Route r) -> r.path().length()).reversed();
    private final Map<String, List<Route>> exact = new HashMap<>();
    /** Suffix (".example.com") to routes, most specific suffix first. */
    private final List<Map.Entry<String, List<Route>>> wildcards = new ArrayList<>();
    private final java.util.Set<String> services = new java.util.HashSet<>();

    public RouteTable(Collection<Route> routes) {
        Map<String, List<Route>> wild = new HashMap<>();
        for (Route r : routes) {
            if (r.type() != Route.Type.HTTP) continue;
            services.add(r.service());
            String host = r.host().toLowerCase(Locale.ROOT);
            if (host.startsWith("*.")) wild.computeIfAbsent(host.substring(1), k -> new ArrayList<>()).add(r);
            else exact.computeIfAbsent(host, k -> new ArrayList<>()).add(r);
        }
        exact.values().forEach(l -> l.sort(LONGEST_PATH_FIRST));
        wild.values().forEach(l -> l.sort(LONGEST_PATH_FIRST));
        wildcards.addAll(wild.entrySet());
        wildcards.sort(Comparator.comparingInt((Map.Entry<String, List<Route>> e) -> e.getKey().length()).reversed());
    }

    /** The services some route leads to. */
    public java.util.Set<String> services() {
        return java.util.Collections.unmodifiableSet(services);
    }

    /** @param hostHeader the Host header as sent (port and case are ignored); @param path the request path, query allowed */
    public Route match(String hostHeader, String path) {
        if (hostHeader == null) return null;
        String host = normalizeHost(hostHeader);
        int q = path.indexOf('?');
        String p = q >= 0 ? path.substring(0, q) : path;
        Route r = byPath(exact.get(host), p);
        if (r != null) return r;
        for (Map.Entry<String, List<Route>> w : wildcards) {
            if (host.endsWith(w.getKey()) && host.length() > w.getKey().length()) {
                r = byPath(w.getValue(), p);
                if (r != null) return r;
            }
        }
        return null;
    }

    static String normalizeHost(String hostHeader) {
        String h = hostHeader.trim();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return (end > 0 ? h.substring(0, end + 1) : h).toLowerCase(Locale.ROOT);
        }
        int colon = h.indexOf(':');
        if (colon >= 0) h = h.substring(0, colon);
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        return h.toLowerCase(Locale.ROOT);
    }

    private static Route byPath(List<Route> candidates, String path) {
        if (candidates == null) return null;
        for (Route r : candidates) {
            if (pathMatches(r.path(), path)) return r;
        }
        return null;
    }

    static boolean pathMatches(String prefix, String path) {
        if (prefix.equals("/") || prefix.equals(path)) return true;
        if (!path.startsWith(prefix)) return false;
        return prefix.endsWith("/") || path.charAt(prefix.length()) == '/';
    }
}
