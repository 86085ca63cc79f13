package dev.grid.host;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * The readiness checks of a host's starting jobs (does the port accept connections, does the
 * health check answer), run beside the reconcile loop rather than in it: a job whose check hangs
 * until its timeout delays no other job. {@link #check} never waits: it answers with the last
 * finished check of what is asked (starting one when none runs), and a check whose answer is new
 * asks for a reconcile, which then sees it.
 */
final class Probes implements AutoCloseable {
    /** What {@link #check} answers before any check of that job and target has finished. */
    static final String CHECKING = "checking";

    private final ExecutorService pool;
    private final Runnable onResult;
    private final Map<String, Convergence.Probe> last = new ConcurrentHashMap<>();
    private final Map<String, String> inFlight = new ConcurrentHashMap<>();
    /** Bumped by {@link #forget}: a check that began before it is not kept. */
    private final Map<String, Long> epochs = new ConcurrentHashMap<>();

    Probes(int threads, Runnable onResult) {
        this.onResult = onResult;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "probes");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The last finished check of {@code job} against {@code target} (a port and a health path, say):
     * null when it passed, else what failed; {@link #CHECKING} when none has finished yet. Starts
     * {@code probe} (which returns the same) unless one for this job and target runs already.
     */
    String check(String job, String target, Supplier<String> probe) {
        String key = job + "\n" + target;
        if (inFlight.putIfAbsent(key, target) == null) {
            long epoch = epochs.getOrDefault(job, 0L);
            try {
                pool.execute(() -> {
                    String problem;
                    try {
                        problem = probe.get();
                    } catch (RuntimeException e) {
                        problem = "check failed: " + e;
                    }
                    inFlight.remove(key);
                    // A check that began before forget(job) says nothing of the job now (a new container): dropped.
                    if (epochs.getOrDefault(job, 0L) != epoch) return;
                    Convergence.Probe before = last.put(job, new Convergence.Probe(target, problem));
                    // Only news asks for a reconcile: a port still refused is for the loop's next poll to see.
                    if (before == null || !before.target().equals(target) || !java.util.Objects.equals(before.problem(), problem)) onResult.run();
                });
            } catch (RejectedExecutionException closed) {
                inFlight.remove(key);
            }
        }
        Convergence.Probe l = last.get(job);
        return l == null || !l.target().equals(target) ? CHECKING : l.problem();
    }

    /** The last finished check of every job, as {@link Convergence} reads them. */
    Map<String, Convergence.Probe> snapshot() {
        return Map.copyOf(last);
    }

    /** The job needs no more checks (it is registered, or gone). */
    void forget(String job) {
        epochs.merge(job, 1L, Long::sum);
        last.remove(job);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
