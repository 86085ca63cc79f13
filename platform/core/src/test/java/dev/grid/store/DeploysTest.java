package dev.grid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.testing.SharedEtcd;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Releases made at once from several places (config:set twice, a push, a keeper upgrade) all count. */
class DeploysTest {
    private static Deploys.Next set(Release current, String key) {
        Map<String, String> env = new HashMap<>(current.env());
        env.put(key, "1");
        return new Deploys.Next(current.image(), current.slugUrl(), current.processes(), env, "Set " + key);
    }

    @Test
    void concurrentConfigChangesAreAllKept() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            String app = "race" + System.nanoTime();
            Deploys.deploy(store, app, "img", null, Map.of("web", ProcessType.of("serve")), Map.of(), "Deploy img").orElseThrow();
            int threads = 4, each = 15;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < each; i++) {
                            String key = "K" + thread + "_" + i;
                            assertTrue(Deploys.change(store, app, cur -> set(cur.orElseThrow(), key)).isPresent(), "release for " + key);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
            } finally {
                pool.shutdownNow();
            }
            Release last = Deploys.current(store, app).orElseThrow();
            assertEquals(threads * each, last.env().size(), "every config var set at once is in the current release: " + last.env().keySet());
            assertEquals(1 + threads * each, last.version());
            assertEquals(Map.of("web", ProcessType.of("serve")), last.processes(), "the code is the one deployed");
        }
    }

    @Test
    void aChangeThatRefusesWritesNothing() throws Exception {
        try (Store store = SharedEtcd.newStore()) {
            String app = "refuse" + System.nanoTime();
            Deploys.deploy(store, app, "img", null, Map.of("web", ProcessType.of("serve")), Map.of("A", "1"), "Deploy img").orElseThrow();
            assertThrows(IllegalArgumentException.class, () -> Deploys.change(store, app, cur -> {
                throw new IllegalArgumentException("config var B is not set");
            }));
            assertEquals(1, Deploys.current(store, app).orElseThrow().version());
            assertEquals(1, store.list(Keys.releases(app)).entries().size());
        }
    }
}
