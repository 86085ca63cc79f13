package dev.grid.store;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's own users and roles. Grid's parts hold etcd's root role; each appliance keeper gets
 * a user whose role of the same name reaches only its cluster's keys ({@link Grant}, relative
 * to the store prefix, like every key Grid names).
 */
public final class EtcdUsers {
    private final Auth auth;
    private final String prefix;

    EtcdUsers(Auth auth, String prefix) {
        this.auth = auth;
        this.prefix = prefix;
    }

    /** Read access to every key under {@code keyPrefix}, or read and write access. */
    public record Grant(String keyPrefix, boolean write) {
        public static Grant read(String keyPrefix) {
            return new Grant(keyPrefix, false);
        }

        public static Grant readWrite(String keyPrefix) {
            return new Grant(keyPrefix, true);
        }
    }

    /** Creates (or resets) the user with exactly these grants, through a role of its own name. */
    public void ensure(String user, String password, List<Grant> grants) {
        ByteSequence name = bytes(user);
        remove(user); // a leftover of a half-made or earlier user must not keep a grant it no longer has
        Store.await(auth.roleAdd(name));
        for (Grant g : grants) {
            byte[] key = (prefix + g.keyPrefix()).getBytes(StandardCharsets.UTF_8);
            Store.await(auth.roleGrantPermission(name, ByteSequence.from(key), ByteSequence.from(rangeEnd(key)),
                    g.write() ? Permission.Type.READWRITE : Permission.Type.READ));
        }
        Store.await(auth.userAdd(name, bytes(password)));
        Store.await(auth.userGrantRole(name, name));
    }

    /** Deletes the user and its role; nothing to do if there is neither. */
    public void remove(String user) {
        ignoringMissing(auth.userDelete(bytes(user)));
        ignoringMissing(auth.roleDelete(bytes(user)));
    }

    /**
     * Turns authentication on in an etcd that still runs without it (a new local etcd, or one an
     * earlier Grid started): a root user with this password and etcd's root role. Does nothing if
     * authentication is on already. Returns whether it turned it on now.
     */
    public static boolean enableAuth(List<String> endpoints, String rootPassword) {
        try (Client open = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
            try {
                Store.await(open.getKVClient().get(bytes("/")));
            } catch (StoreException e) {
                if (String.valueOf(e.getMessage()).contains("user name is empty")) return false; // on already
                throw e;
            }
            Auth a = open.getAuthClient();
            ByteSequence root = bytes("root");
            try {
                Store.await(a.userAdd(root, bytes(rootPassword)));
            } catch (StoreException exists) {
                Store.await(a.userChangePassword(root, bytes(rootPassword))); // a bootstrap cut short before
            }
            ignoringExisting(a.roleAdd(root));
            Store.await(a.userGrantRole(root, root));
            Store.await(a.authEnable());
            return true;
        }
    }

    /** The end of the range of every key that starts with {@code key}, as etcd means it. */
    static byte[] rangeEnd(byte[] key) {
        byte[] end = Arrays.copyOf(key, key.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[] {0}; // every key from here on
    }

    private static void ignoringMissing(CompletableFuture<?> f) {
        try {
            Store.await(f);
        } catch (StoreException e) {
            if (!String.valueOf(e.getMessage()).contains("not found")) throw e;
        }
    }

    private static void ignoringExisting(CompletableFuture<?> f) {
        try {
            Store.await(f);
        } catch (StoreException e) {
            if (!String.valueOf(e.getMessage()).contains("already exists")) throw e;
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
