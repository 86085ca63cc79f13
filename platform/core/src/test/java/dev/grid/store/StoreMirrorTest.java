package dev.grid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.testing.SharedEtcd;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Against a real etcd: the mirror holds what etcd holds under its prefixes, at one revision, after reading etcd once. */
class StoreMirrorTest {
    @Test
    void theMirrorIsWhatEtcdHoldsAfterRandomWritesAndTransactionsWithoutReadingItAgain() {
        try (Store store = SharedEtcd.newStore()) {
            store.put("kept/a/seed", "\"0\"");
            store.put("other/seed", "\"0\"");
            AtomicInteger told = new AtomicInteger();
            try (StoreMirror mirror = new StoreMirror(store, List.of("kept/a/", "kept/b/"), told::incrementAndGet)) {
                Random random = new Random(7);
                long last = 0;
                for (int i = 0; i < 300; i++) {
                    String prefix = List.of("kept/a/", "kept/b/", "other/").get(random.nextInt(3));
                    String key = prefix + random.nextInt(20);
                    switch (random.nextInt(3)) {
                        case 0 -> store.put(key, "\"" + i + "\"");
                        case 1 -> store.delete(key);
                        default -> {
                            // One transaction over several prefixes: the mirror takes it whole.
                            Txn txn = store.txn().put("kept/a/t" + random.nextInt(5), "\"" + i + "\"").put("kept/b/t" + random.nextInt(5), "\"" + i + "\"")
                                    .put("other/t", "\"" + i + "\"");
                            last = Math.max(last, txn.commitRevision());
                        }
                    }
                }
                long now = store.list("").revision();
                store.put("kept/a/last", "\"end\"");
                long end = store.list("kept/a/last").revision();
                assertTrue(mirror.awaitRevision(end, Duration.ofSeconds(10)), "the mirror catches up");
                assertTrue(end > now && last > 0);
                assertEquals(expected(store), actual(mirror.snapshot()), "the same keys, values and mod revisions as etcd");
                assertEquals(1, mirror.reads(), "etcd was read in full once, at the start");
                assertTrue(told.get() > 0, "changes are told");
                assertTrue(mirror.snapshot().entries().stream().noneMatch(e -> e.key().startsWith("other/")), "only the prefixes asked");
            }
        }
    }

    record Item(String name) {}

    @Test
    void valuesAreDecodedOnceAndAgainOnlyWhenTheirKeyChanges() {
        try (Store store = SharedEtcd.newStore()) {
            store.put("items/a", "{\"name\":\"a\"}");
            store.put("items/b", "{\"name\":\"b\"}");
            store.put("itemsx/c", "{\"name\":\"c\"}");
            try (StoreMirror mirror = new StoreMirror(store, List.of("items/"), () -> {})) {
                List<Item> first = mirror.values("items/", Item.class);
                assertEquals(List.of(new Item("a"), new Item("b")), first, "in key order, and only under the prefix");
                List<Item> again = mirror.values("items/", Item.class);
                assertTrue(first.get(0) == again.get(0) && first.get(1) == again.get(1), "the same decoded values, not decoded again");
                long rev = store.txn().put("items/b", "{\"name\":\"b2\"}").commitRevision();
                assertTrue(mirror.awaitRevision(rev, Duration.ofSeconds(10)));
                List<Item> changed = mirror.values("items/", Item.class);
                assertTrue(changed.get(0) == first.get(0), "an unchanged key keeps its value");
                assertEquals(new Item("b2"), changed.get(1), "a changed key is decoded again");
            }
        }
    }

    @Test
    void oneWatchCoversWhatThePrefixesShare() {
        assertEquals("jobs/h1/", StoreMirror.commonPrefix(List.of("jobs/h1/")));
        assertEquals("kept/", StoreMirror.commonPrefix(List.of("kept/a/", "kept/b/")));
        assertEquals("", StoreMirror.commonPrefix(List.of("jobs/", "hosts/")));
    }

    private static Map<String, String> expected(Store store) {
        Map<String, String> out = new TreeMap<>();
        for (String p : List.of("kept/a/", "kept/b/")) {
            for (Entry e : store.list(p).entries()) out.put(e.key(), e.value() + "@" + e.modRevision());
        }
        return out;
    }

    private static Map<String, String> actual(Snapshot s) {
        Map<String, String> out = new TreeMap<>();
        for (Entry e : s.entries()) out.put(e.key(), e.value() + "@" + e.modRevision());
        return out;
    }
}
