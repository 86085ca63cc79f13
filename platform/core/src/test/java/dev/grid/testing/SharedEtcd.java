package dev.grid.testing;

import dev.grid.core.SecretFile;
import dev.grid.store.EtcdAccess;
import dev.grid.store.EtcdUsers;
import dev.grid.store.LocalEtcd;
import dev.grid.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * One real etcd per test JVM (from Debian's etcd-server), shared by every test, with
 * authentication on as in a real Grid: tests connect as its root user. Each test gets its own
 * key prefix, so tests do not see each other's state. If etcd is not installed the tests fail,
 * they do not skip.
 */
public final class SharedEtcd {
    private static LocalEtcd etcd;
    private static EtcdAccess root;

    private SharedEtcd() {}

    public static synchronized String url() {
        if (etcd == null) {
            try {
                Path dir = Files.createTempDirectory("grid-test-etcd");
                etcd = LocalEtcd.start(dir, 0, 0);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    etcd.close();
                    TestDirs.delete(dir); // its data: tens of MB a test JVM
                }));
                String password = SecretFile.randomHex(16);
                EtcdUsers.enableAuth(List.of(etcd.clientUrl()), password);
                root = EtcdAccess.password("root", password);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return etcd.clientUrl();
    }

    /** The shared etcd's root credentials, as Grid's own parts hold them. */
    public static synchronized EtcdAccess access() {
        url();
        return root;
    }

    public static LocalEtcd etcd() {
        url();
        return etcd;
    }

    /** A store on the shared etcd under a prefix no other test uses. */
    public static Store newStore() {
        return Store.connect(List.of(url()), "/test-" + UUID.randomUUID().toString().substring(0, 8) + "/", access());
    }
}
