package dev.grid.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the failure says what was last seen. */
public final class Eventually {
    private Eventually() {}

    public static <T> T await(String what, Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done) {
        Instant deadline = Instant.now().plus(timeout);
        T last = null;
        RuntimeException lastError = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                last = probe.get();
                lastError = null;
                if (done.test(last)) return last;
            } catch (RuntimeException e) {
                lastError = e;
            }
            sleep(100);
        }
        AssertionError err = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; last seen: " + last);
        if (lastError != null) err.initCause(lastError);
        throw err;
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
