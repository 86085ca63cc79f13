package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.SshKey;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.util.Comparator;
import java.util.List;

/** Public keys that may `git push`. */
@Singleton
public final class SshKeys {
    private final Store store;

    public SshKeys(Store store) {
        this.store = store;
    }

    public SshKey add(String publicKey) {
        SshKey key = SshKey.parse(publicKey);
        if (!store.txn().ifUnchanged(Keys.sshKey(key.id()), 0).put(Keys.sshKey(key.id()), key).commit()) {
            throw GridException.conflict("this key is already added (" + key.fingerprint() + ")");
        }
        return key;
    }

    public List<SshKey> list() {
        return store.values(Keys.SSH_KEYS, SshKey.class).stream().sorted(Comparator.comparing(SshKey::addedAt)).toList();
    }

    /** Removes by fingerprint or by comment (as `heroku keys:remove` does). */
    public SshKey remove(String fingerprintOrComment) {
        List<SshKey> matches = list().stream()
                .filter(k -> k.fingerprint().equals(fingerprintOrComment) || k.comment().equals(fingerprintOrComment)).toList();
        if (matches.isEmpty()) throw GridException.notFound("no key with fingerprint or comment '" + fingerprintOrComment + "': see 'grid keys'");
        if (matches.size() > 1) throw GridException.conflict(matches.size() + " keys have the comment '" + fingerprintOrComment + "': remove by fingerprint");
        store.delete(Keys.sshKey(matches.get(0).id()));
        return matches.get(0);
    }
}
