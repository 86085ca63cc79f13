package dev.grid.router;

import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Idle keep-alive connections to one backend, oldest first, and the order the router
 * reuses them in: the one idle longest that has not been idle too long.
 *
 * <p>Oldest first, not most recent first, because an app often serves one port from
 * several processes (nginx or Puma workers, a Node cluster), each owning the connections
 * it accepted. Taking the most recently returned connection sends each new request to the
 * process that answered last, the one that is running; under load that feeds one process
 * while the others idle, and the requests queued behind it make the router's latency tail
 * (docs/benchmarks.md, session 39). Taking the oldest spreads requests over all of them.
 *
 * <p>The oldest idle connection is also the one an app is most likely to have closed for
 * idleness while a request was on its way (a keep-alive race the client sees as a 502).
 * So a connection idle past {@code maxIdleNanos} is not reused but closed: the bound is
 * below the shortest keep-alive timeout common servers default to (gunicorn's 2 s).
 * In oldest-first order those are always at the head, so the check costs nothing when
 * connections are busy.
 *
 * <p>Not thread-safe: each event loop has its own ({@link BackendPool}).
 */
final class IdleQueue<T> {
    private Object[] items = new Object[8];
    private long[] since = new long[8];
    private int head;
    private int size;

    int size() {
        return size;
    }

    /** {@code item} became idle at {@code now} (nanoseconds, any origin). */
    void add(T item, long now) {
        if (size == items.length) grow();
        int i = (head + size) & (items.length - 1);
        items[i] = item;
        since[i] = now;
        size++;
    }

    /**
     * The item idle longest that {@code usable} accepts and that has been idle at most
     * {@code maxIdleNanos} at {@code now}, or null. Items before it are taken out:
     * unusable ones are dropped, ones idle too long go to {@code expired}.
     */
    @SuppressWarnings("unchecked")
    T take(long now, long maxIdleNanos, Predicate<? super T> usable, Consumer<? super T> expired) {
        while (size > 0) {
            T item = (T) items[head];
            long idle = now - since[head];
            items[head] = null;
            head = (head + 1) & (items.length - 1);
            size--;
            if (!usable.test(item)) continue;
            if (idle > maxIdleNanos) {
                expired.accept(item);
                continue;
            }
            return item;
        }
        return null;
    }

    /** Takes {@code item} (this very object) out wherever it is (it closed while idle); whether it was there. */
    boolean remove(T item) {
        int mask = items.length - 1;
        for (int k = 0; k < size; k++) {
            int i = (head + k) & mask;
            if (items[i] != item) continue;
            for (int j = k; j < size - 1; j++) { // close the gap, keeping the order
                int to = (head + j) & mask;
                int from = (head + j + 1) & mask;
                items[to] = items[from];
                since[to] = since[from];
            }
            items[(head + size - 1) & mask] = null;
            size--;
            return true;
        }
        return false;
    }

    private void grow() {
        Object[] newItems = new Object[items.length * 2];
        long[] newSince = new long[items.length * 2];
        for (int k = 0; k < size; k++) {
            int i = (head + k) & (items.length - 1);
            newItems[k] = items[i];
            newSince[k] = since[i];
        }
        items = newItems;
        since = newSince;
        head = 0;
    }
}
