package dev.grid.store;

import java.nio.file.Path;

/**
 * How a Grid part proves itself to etcd: a user and password (etcd's own RBAC), and, for an
 * etcd cluster across machines, client TLS (the CA that signed etcd's certificate, and this
 * part's certificate and key). {@link #NONE} talks to an etcd without authentication.
 */
public record EtcdAccess(String user, String password, Path ca, Path cert, Path key) {
    public static final EtcdAccess NONE = new EtcdAccess(null, null, null, null, null);

    public EtcdAccess {
        if ((user == null) != (password == null)) throw new IllegalArgumentException("an etcd user needs a password, and a password a user");
        if ((cert == null) != (key == null)) throw new IllegalArgumentException("an etcd client certificate needs its key, and a key its certificate");
    }

    public static EtcdAccess password(String user, String password) {
        return new EtcdAccess(user, password, null, null, null);
    }

    public boolean authenticated() {
        return user != null;
    }

    public boolean tls() {
        return ca != null || cert != null;
    }

    /** The same TLS settings with another user (for example a keeper's). */
    public EtcdAccess as(String otherUser, String otherPassword) {
        return new EtcdAccess(otherUser, otherPassword, ca, cert, key);
    }

    @Override
    public String toString() {
        return "EtcdAccess[user=" + user + ", tls=" + tls() + "]"; // never the password
    }
}
