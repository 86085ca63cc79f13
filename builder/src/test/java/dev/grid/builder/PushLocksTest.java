package dev.grid.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PushLocksTest {
    @Test
    void aSecondPushOfAnAppWaitsIsToldOnceAndGoesWhenTheFirstLetsGo() throws Exception {
        PushLocks locks = new PushLocks(Duration.ofMinutes(20));
        Object first = new Object();
        Object second = new Object();
        locks.acquire("web", first, () -> { throw new AssertionError("nothing to wait for"); });
        AtomicInteger told = new AtomicInteger();
        CountDownLatch through = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                locks.acquire("web", second, told::incrementAndGet);
                through.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        assertFalse(through.await(1500, TimeUnit.MILLISECONDS), "it waits while the first push holds the app");
        assertEquals(1, told.get(), "and says so once, not every second");
        locks.acquire("api", new Object(), () -> { throw new AssertionError("another app never waits"); });
        locks.release("web", second); // not its hold: nothing happens
        assertFalse(through.await(200, TimeUnit.MILLISECONDS));
        locks.release("web", first);
        assertTrue(through.await(2, TimeUnit.SECONDS), "the first's release lets it go");
        t.join();
    }

    @Test
    void aHoldOlderThanABuildCanLastIsTakenOver() throws Exception {
        AtomicLong now = new AtomicLong();
        PushLocks locks = new PushLocks(Duration.ofMinutes(20), now::get);
        locks.acquire("web", new Object(), () -> {});
        now.addAndGet(Duration.ofMinutes(21).toNanos()); // the first push's session died without letting go
        AtomicInteger told = new AtomicInteger();
        locks.acquire("web", new Object(), told::incrementAndGet);
        assertEquals(0, told.get(), "taken at once");
    }
}
