package dev.grid.store;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A level-triggered loop: runs its task on its own thread when asked, merging
 * requests that arrive while a run is pending, and optionally on a fixed tick
 * as a safety net. The host agent, the scheduler and the router each converge
 * to etcd's state this way; a change only wakes them, they re-read the state.
 */
public final class CoalescedTask implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoalescedTask.class);
    private final ScheduledExecutorService thread;
    private final Runnable task;
    private final String name;
    private final AtomicBoolean queued = new AtomicBoolean();

    public CoalescedTask(String name, Runnable task) {
        this.name = name;
        this.task = task;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs the task soon, once, however many requests arrive before it starts. */
    public void request() {
        if (queued.compareAndSet(false, true)) {
            try {
                thread.execute(this::run);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                queued.set(false);
            }
        }
    }

    public void requestAfter(long millis) {
        try {
            thread.schedule(this::request, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing
        }
    }

    /** Also runs the task every period, whether asked or not. */
    public CoalescedTask every(Duration period) {
        return every(period, Duration.ZERO);
    }

    /** As {@link #every(Duration)}, the first run after {@code first} (housekeeping that must not add to a start). */
    public CoalescedTask every(Duration period, Duration first) {
        thread.scheduleWithFixedDelay(this::request, first.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void run() {
        queued.set(false);
        try {
            task.run();
        } catch (RuntimeException e) {
            log.warn("{}: {}", name, e.toString());
        }
    }

    /** Stops; waits up to 10 s for a run in progress to end. */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    /**
     * Stops; waits up to {@code maxWait} for a run in progress to end, for a caller that
     * must know nothing the task does happens after this returns.
     */
    public void close(Duration maxWait) {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(maxWait.toMillis(), TimeUnit.MILLISECONDS)) log.warn("{}: a run still in progress after {}", name, maxWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
