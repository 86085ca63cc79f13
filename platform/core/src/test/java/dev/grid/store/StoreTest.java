package dev.grid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import dev.grid.testing.TlsEtcd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class StoreTest {
    @Test
    void transactionAppliesOnlyWhileTheComparedRevisionHolds() {
        try (Store store = SharedEtcd.newStore()) {
            assertTrue(store.txn().ifUnchanged("k", 0).put("k", "one").commit(), "create-if-absent on an absent key");
            assertFalse(store.txn().ifUnchanged("k", 0).put("k", "two").commit(), "create-if-absent on a present key");
            long rev = store.get("k").orElseThrow().modRevision();
            assertTrue(store.txn().ifUnchanged("k", rev).put("k", "three").commit());
            assertFalse(store.txn().ifUnchanged("k", rev).put("k", "four").commit(), "stale revision must lose");
            assertEquals("three", store.get("k").orElseThrow().value());
        }
    }

    @Test
    void keysUnderALeaseVanishWhenItIsRevoked() {
        try (Store store = SharedEtcd.newStore()) {
            Lease lease = store.lease(30);
            store.put("leased", "x", lease.id());
            assertTrue(store.get("leased").isPresent());
            lease.revoke();
            assertTrue(store.get("leased").isEmpty());
        }
    }

    @Test
    void listIsScopedToThePrefix() {
        try (Store a = SharedEtcd.newStore(); Store b = SharedEtcd.newStore()) {
            a.put("apps/x", "1");
            b.put("apps/y", "2");
            assertEquals(List.of("apps/x"), a.list("apps/").entries().stream().map(Entry::key).toList());
        }
    }

    /**
     * The watch survives etcd going away and coming back, and misses nothing written meanwhile;
     * the store signs in again by itself (etcd forgets its tokens when it restarts).
     */
    @Test
    void watchResumesAfterEtcdRestartWithoutMissingChanges() throws Exception {
        Path dir = Files.createTempDirectory("grid-etcd-restart");
        int port = dev.grid.testing.Ports.free();
        int peer = dev.grid.testing.Ports.free();
        LocalEtcd etcd = LocalEtcd.start(dir, port, peer);
        assertTrue(EtcdUsers.enableAuth(List.of(etcd.clientUrl()), "restart-pw"));
        assertFalse(EtcdUsers.enableAuth(List.of(etcd.clientUrl()), "restart-pw"), "once on, it stays as it is");
        EtcdAccess root = EtcdAccess.password("root", "restart-pw");
        try (Store watcher = Store.connect(List.of(etcd.clientUrl()), "/w/", root)) {
            List<String> seen = new CopyOnWriteArrayList<>();
            watcher.watch("", watcher.list("").revision() + 1, changes -> changes.forEach(c -> seen.add(c.key())), () -> {});
            watcher.put("a", "1");
            Eventually.await("first event", Duration.ofSeconds(5), () -> seen, s -> s.contains("a"));
            etcd.close();
            etcd = LocalEtcd.start(dir, port, peer);
            watcher.put("b", "2"); // the same client, with a token etcd no longer knows
            try (Store writer = Store.connect(List.of(etcd.clientUrl()), "/w/", root)) {
                writer.put("c", "3");
            }
            Eventually.await("events written after the restart", Duration.ofSeconds(20), () -> seen, s -> s.contains("c"));
            assertEquals(List.of("a", "b", "c"), seen);
        } finally {
            etcd.close();
        }
    }

    @Test
    void etcdRefusesAStoreWithoutCredentials() {
        try (Store open = Store.connect(List.of(SharedEtcd.url()), "/anyone/")) {
            StoreException refused = assertThrows(StoreException.class, () -> open.get("apps/x"));
            assertTrue(refused.getMessage().contains("user name is empty"), refused.getMessage());
            assertThrows(StoreException.class, () -> open.put("apps/x", "planted"));
        }
    }

    @Test
    void aLimitedUserReachesOnlyWhatItsGrantsName() {
        try (Store root = SharedEtcd.newStore()) {
            root.put("appliances/x/c1/state", "s");
            root.put("appliances/x/c2/state", "other");
            root.put("apps/secret", "nope");
            String user = "test-keeper-" + root.prefix().replace("/", "");
            root.users().ensure(user, "pw-1", List.of(EtcdUsers.Grant.read("appliances/x/c1/"), EtcdUsers.Grant.readWrite("appliances/x/c1/nodes/")));
            try (Store keeper = Store.connect(List.of(SharedEtcd.url()), root.prefix(), EtcdAccess.password(user, "pw-1"))) {
                assertEquals("s", keeper.get("appliances/x/c1/state").orElseThrow().value());
                keeper.put("appliances/x/c1/nodes/n0", "report");
                assertThrows(StoreException.class, () -> keeper.put("appliances/x/c1/state", "forged"), "read only");
                assertThrows(StoreException.class, () -> keeper.get("appliances/x/c2/state"), "another cluster");
                assertThrows(StoreException.class, () -> keeper.get("apps/secret"));
                assertThrows(StoreException.class, () -> keeper.list(""), "the whole prefix");
            }
            assertEquals("s", root.get("appliances/x/c1/state").orElseThrow().value(), "nothing changed");
            root.users().remove(user);
            try (Store gone = Store.connect(List.of(SharedEtcd.url()), root.prefix(), EtcdAccess.password(user, "pw-1"))) {
                assertThrows(StoreException.class, () -> gone.get("appliances/x/c1/state"), "a removed user signs in no more");
            }
            root.users().remove(user); // twice is nothing
        }
    }

    /** Across machines etcd speaks TLS and wants a client certificate: the store shows Grid's. */
    @Test
    void aStoreReachesAnEtcdThatWantsTlsAndAClientCertificate() throws Exception {
        try (TlsEtcd etcd = new TlsEtcd()) {
            EtcdAccess tls = new EtcdAccess(null, null, etcd.ca, etcd.clientCert, etcd.clientKey);
            try (Store store = Store.connect(List.of(etcd.url), "/tls/", tls)) {
                store.put("k", "over tls");
                assertEquals("over tls", store.get("k").orElseThrow().value());
            }
            EtcdAccess noCertificate = new EtcdAccess(null, null, etcd.ca, null, null);
            try (Store store = Store.connect(List.of(etcd.url), "/tls/", noCertificate)) {
                assertThrows(StoreException.class, () -> store.get("k"), "etcd refuses a client without a certificate");
            }
        }
    }

    @Test
    void aPartsCredentialIsAcceptedAtOnceAndNoLongerOnceItsLeaseEnds() {
        try (Store store = SharedEtcd.newStore(); Credentials.Verifier verifier = new Credentials.Verifier(store)) {
            Lease lease = store.lease(30);
            String token = Credentials.issue(store, "part", lease.id());
            assertTrue(verifier.accepts(Credentials.header(token)), "a part that just started is not refused");
            assertFalse(verifier.accepts(Credentials.header("made-up")));
            assertFalse(verifier.accepts(token), "only as a bearer token");
            lease.revoke();
            Eventually.await("the lapsed credential refused", Duration.ofSeconds(5), () -> verifier.accepts(Credentials.header(token)), ok -> !ok);
        }
    }

    @Test
    void madeUpTokensDoNotGetAPartThatJustStartedRefused() {
        // A made-up token spends the verifier's one etcd lookup a second; a part's token issued just
        // after must still be accepted at once, ahead of the watch (it was refused: a CI failure).
        try (Store store = SharedEtcd.newStore(); Credentials.Verifier verifier = new Credentials.Verifier(store)) {
            for (int round = 0; round < 5; round++) {
                assertFalse(verifier.accepts(Credentials.header("made-up-" + round)));
                Lease lease = store.lease(30);
                String token = Credentials.issue(store, "part-" + round, lease.id());
                assertTrue(verifier.accepts(Credentials.header(token)), "round " + round + ": a part that just started is not refused");
                lease.revoke();
            }
        }
    }

    @Test
    void rangeEndCoversExactlyThePrefix() {
        assertEquals("/g/b", new String(EtcdUsers.rangeEnd("/g/a".getBytes())));
        assertEquals("/g0", new String(EtcdUsers.rangeEnd("/g/".getBytes())));
    }

    @Test
    void onlyOneCandidateLeadsAndAnotherTakesOverWhenItLeaves() {
        try (Store store = SharedEtcd.newStore()) {
            LeaderElection a = new LeaderElection(store, "test", "a", 2);
            LeaderElection b = new LeaderElection(store, "test", "b", 2);
            Eventually.await("a leader", Duration.ofSeconds(5), () -> a.isLeader() || b.isLeader(), x -> x);
            Eventually.sleep(1500);
            assertTrue(a.isLeader() ^ b.isLeader(), "exactly one leader");
            LeaderElection leader = a.isLeader() ? a : b;
            LeaderElection other = leader == a ? b : a;
            leader.close();
            Eventually.await("the other candidate to take over", Duration.ofSeconds(5), other::isLeader, x -> x);
            other.close();
        }
    }
}
