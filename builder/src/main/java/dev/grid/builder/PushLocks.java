package dev.grid.builder;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One push at a time per app: from the build through the update of the branch. A second push
 * waits, and is told so once; it then finds the branch where the first left it. A hold older than
 * {@code stale} (a build's own time limit, and then some) is taken over: a push whose session
 * died without letting go must not block the app for good.
 */
final class PushLocks {
    private record Hold(Object owner, long since) {}

    private final Map<String, Hold> held = new HashMap<>();
    private final long staleNanos;
    private final LongSupplier clock;

    PushLocks(Duration stale) {
        this(stale, System::nanoTime);
    }

    PushLocks(Duration stale, LongSupplier clock) {
        this.staleNanos = stale.toNanos();
        this.clock = clock;
    }

    /** Takes {@code app} for {@code owner}, waiting while another holds it; {@code onWait} runs once if it must wait. */
    synchronized void acquire(String app, Object owner, Runnable onWait) throws InterruptedException {
        boolean told = false;
        while (true) {
            Hold h = held.get(app);
            if (h == null || h.owner() == owner || clock.getAsLong() - h.since() > staleNanos) break;
            if (!told) {
                onWait.run();
                told = true;
            }
            wait(1000); // woken by a release; a stale hold is seen within a second of going stale
        }
        held.put(app, new Hold(owner, clock.getAsLong()));
    }

    /** Lets go of {@code app} if {@code owner} holds it. */
    synchronized void release(String app, Object owner) {
        Hold h = held.get(app);
        if (h != null && h.owner() == owner) {
            held.remove(app);
            notifyAll();
        }
    }

    synchronized boolean isHeld(String app) {
        return held.containsKey(app);
    }
}
