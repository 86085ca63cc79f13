package dev.grid.scheduler;

import java.time.Duration;

/** Restart delays: the first restarts are immediate, then 1 s, 2 s, 4 s ... up to 30 s. */
public final class Backoff {
    static final int IMMEDIATE = 3;
    static final Duration MAX = Duration.ofSeconds(30);
    /** A job that ran this long before crashing starts its back-off over. */
    static final Duration STABLE = Duration.ofSeconds(60);

    private Backoff() {}

    public static Duration delay(int attempt) {
        if (attempt <= IMMEDIATE) return Duration.ZERO;
        int exp = Math.min(attempt - IMMEDIATE - 1, 10);
        Duration d = Duration.ofSeconds(1L << exp);
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
