package dev.grid.controller.domain;

import dev.grid.core.GridEndpoint;
import dev.grid.core.GridException;
import dev.grid.core.SecretFile;
import dev.grid.drains.DrainUrl;
import dev.grid.drains.Drains;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * An app's log drains ({@code grid drains:add}): where its output and its router lines go, besides
 * {@code grid logs}. Each host and router sends what it has straight there ({@link Drains}).
 */
@Singleton
public class AppDrains {
    /** Drains per app, as on Heroku's Logplex: each costs every host and router a connection and a buffer. */
    public static final int MAX_PER_APP = 5;

    private final Store store;
    private final Apps apps;

    public AppDrains(Store store, Apps apps) {
        this.store = store;
        this.apps = apps;
    }

    /** A drain as an operator sees it: an HTTPS drain's password hidden. */
    public record View(String id, String url, Instant createdAt) {
        static View of(Drains.Drain d) {
            return new View(d.id(), DrainUrl.parse(d.url()).shown(), d.createdAt());
        }
    }

    public List<View> list(String app) {
        apps.get(app);
        return drains(app).stream().sorted(Comparator.comparing(Drains.Drain::createdAt)).map(View::of).toList();
    }

    public View add(String app, String url) {
        apps.get(app);
        DrainUrl parsed;
        try {
            parsed = DrainUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw GridException.invalid(e.getMessage());
        }
        String ownPort = ownEndpoint(parsed);
        if (ownPort != null) throw GridException.invalid("'" + url + "' is " + ownPort + ", one of Grid's own ports: a drain must be a log receiver");
        List<Drains.Drain> existing = drains(app);
        if (existing.stream().anyMatch(d -> d.url().equals(url.strip()))) throw GridException.conflict(app + " already drains to " + parsed.shown());
        if (existing.size() >= MAX_PER_APP) {
            throw GridException.invalid(app + " has " + existing.size() + " drains, the most an app may have: remove one first (grid drains:remove)");
        }
        Drains.Drain d = new Drains.Drain("d." + SecretFile.randomHex(8), app, url.strip(), Instant.now());
        store.put(Keys.drains(app) + d.id(), d);
        return View.of(d);
    }

    /** Removes the drain with this token or URL. */
    public View remove(String app, String tokenOrUrl) {
        apps.get(app);
        for (Drains.Drain d : drains(app)) {
            if (d.id().equals(tokenOrUrl) || d.url().equals(tokenOrUrl) || View.of(d).url().equals(tokenOrUrl)) {
                store.delete(Keys.drains(app) + d.id());
                return View.of(d);
            }
        }
        throw GridException.notFound(app + " has no drain '" + tokenOrUrl + "': see 'grid drains -a " + app + "'");
    }

    private List<Drains.Drain> drains(String app) {
        return store.values(Keys.drains(app), Drains.Drain.class);
    }

    /**
     * What of Grid's own the drain's address is (etcd, the API, the blob store, ...), or null: an
     * app's output written into etcd's port could be taken for a request.
     */
    private String ownEndpoint(DrainUrl url) {
        List<InetAddress> addresses;
        try {
            addresses = List.of(InetAddress.getAllByName(url.host()));
        } catch (UnknownHostException e) {
            return null; // it may resolve later; it is not one of Grid's now
        }
        for (GridEndpoint e : store.values(Keys.ENDPOINTS, GridEndpoint.class)) {
            if (e.port() != url.port()) continue;
            for (InetAddress a : addresses) {
                String ip = a.getHostAddress();
                if (ip.equals(e.address()) || a.isAnyLocalAddress() || (a.isLoopbackAddress() && (e.address().startsWith("127.") || e.address().equals("0.0.0.0")))) {
                    return e.what() + " (" + e.address() + ":" + e.port() + ")";
                }
            }
        }
        return null;
    }
}
