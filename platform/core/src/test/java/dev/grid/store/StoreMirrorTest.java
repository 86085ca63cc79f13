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
