package dev.grid.core;

import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.net.URI;

/**
 * A port one of Grid's own parts listens on (etcd, the API, the blob store, SSH, a host's log
 * server), registered under the part's lease at {@code endpoints/ADDRESS:PORT}. Every host's
 * firewall keeps app processes and builds from all of them. A part bound to every address
 * registers its machine's address.
 */
public record GridEndpoint(String what, String address, int port) {
    public static void register(Store store, long leaseId, GridEndpoint e) {
        store.put(Keys.ENDPOINTS + e.address() + ":" + e.port(), e, leaseId);
    }

    /** A listener of Grid's that apps may reach, such as the router's ({@link Keys#PUBLIC_ENDPOINTS}): not firewalled, but no TCP route's. */
    public static void registerPublic(Store store, long leaseId, GridEndpoint e) {
        store.put(Keys.PUBLIC_ENDPOINTS + e.address() + ":" + e.port(), e, leaseId);
    }

    /** The endpoint of a part bound to {@code bind}: a wildcard bind is reached at the machine's own address. */
    public static GridEndpoint bound(String what, String bind, int port, String machineAddress) {
        boolean any = bind.equals("0.0.0.0") || bind.equals("::") || bind.isEmpty();
        return new GridEndpoint(what, any ? machineAddress : bind, port);
    }

    /** The endpoint of an etcd (or another part) named by URL. */
    public static GridEndpoint ofUrl(String what, String url) {
        URI u = URI.create(url);
        int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 2379;
        return new GridEndpoint(what, u.getHost(), port);
    }
}
