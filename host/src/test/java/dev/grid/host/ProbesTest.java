package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProbesTest {
    /** A check that answers {@code answer} once opened: the test says when each check finishes. */
    private final class Gate implements Supplier<String> {
        private final CountDownLatch open = new CountDownLatch(1);
        private final String answer;

        Gate(String answer) {
            this.answer = answer;
            gates.add(this);
        }

        @Override
        public String get() {
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer;
        }

        void open() {
            open.countDown();
        }
    }

    private final List<Gate> gates = new ArrayList<>();
    private final Semaphore results = new Semaphore(0);

    @AfterEach
    void openAll() {
        gates.forEach(Gate::open);
    }

    private void awaitNews() throws InterruptedException {
        assertTrue(results.tryAcquire(5, TimeUnit.SECONDS), "a finished check with a new answer asks for a reconcile");
    }

    @Test
    void aHangingCheckDelaysNeitherTheLoopNorTheOtherJobsChecks() throws Exception {
        try (Probes probes = new Probes(4, results::release)) {
            Gate hanging = new Gate("health check /health failed: timed out"); // an app that never answers
            Gate b = new Gate(null);
            long t0 = System.nanoTime();
            assertEquals(Probes.CHECKING, probes.check("a", "20000 /health", hanging));
            assertEquals(Probes.CHECKING, probes.check("b", "20001", b));
            assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(200), "check never waits for a probe");
            b.open();
            awaitNews();
            assertNull(probes.check("b", "20001", new Gate(null)), "b is ready while a's check still hangs");
            assertEquals(Probes.CHECKING, probes.check("a", "20000 /health", new Gate("not run: one runs already")));
            hanging.open();
            awaitNews();
            assertEquals("health check /health failed: timed out", probes.check("a", "20000 /health", new Gate(null)));
        }
    }

    @Test
    void aResultIsForItsTargetOnlyAndOnlyNewsAsksForAReconcile() throws Exception {
        try (Probes probes = new Probes(4, results::release)) {
            Gate first = new Gate("waiting for port 20000");
            assertEquals(Probes.CHECKING, probes.check("a", "20000", first));
            first.open();
            awaitNews();
            Gate same = new Gate("waiting for port 20000");
            assertEquals("waiting for port 20000", probes.check("a", "20000", same));
            same.open();
            assertFalse(results.tryAcquire(500, TimeUnit.MILLISECONDS), "the same answer again asks for nothing (no busy loop while an app starts)");
            Gate up = new Gate(null);
            assertEquals("waiting for port 20000", probes.check("a", "20000", up));
            up.open();
            awaitNews();
            assertNull(probes.check("a", "20000", new Gate(null)));
            Gate moved = new Gate("waiting for port 20005");
            assertEquals(Probes.CHECKING, probes.check("a", "20005", moved), "a new port: what was seen of the old one does not count");
            moved.open();
            awaitNews();
            assertEquals("waiting for port 20005", probes.check("a", "20005", new Gate("waiting for port 20005")));
            probes.forget("a");
            assertEquals(Probes.CHECKING, probes.check("a", "20005", new Gate(null)), "forgotten: the old answer is gone");
        }
    }

    @Test
    void aCheckThatBeganBeforeTheJobWasForgottenIsNotKept() throws Exception {
        try (Probes probes = new Probes(4, results::release)) {
            // The old container answered; it crashed while its check was on its way back.
            Gate old = new Gate(null);
            assertEquals(Probes.CHECKING, probes.check("a", "20000", old));
            probes.forget("a");
            old.open();
            assertFalse(results.tryAcquire(500, TimeUnit.MILLISECONDS), "dropped: no reconcile asked for");
            assertEquals(Probes.CHECKING, probes.check("a", "20000", new Gate("waiting for port 20000")),
                    "the new container is not taken as ready on the old one's answer");
        }
    }
}
