package dev.grid.scheduler;

import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the scheduler's metrics say about jobs, as pure functions of a {@link ClusterView}: how
 * many jobs there are by app, type and state, and which jobs a plan restarts.
 */
final class JobCensus {
    private JobCensus() {}

    /** One row of the census. */
    record Row(String app, String type, String state) {}

    /**
     * Jobs by app, type and state ({@code pending} for a job no host has reported on yet,
     * {@code blocked} for one that cannot run where it is placed).
     */
    static Map<Row, Integer> count(ClusterView view) {
        Map<Row, Integer> rows = new TreeMap<>(java.util.Comparator.comparing(Row::app).thenComparing(Row::type).thenComparing(Row::state));
        for (JobSpec j : view.jobs()) {
            JobStatus s = view.statuses().get(j.id());
            String state = j.blocked() != null ? "blocked" : s == null || s.state() == null ? "pending" : s.state().name().toLowerCase(Locale.ROOT);
            rows.merge(new Row(j.app(), typeOf(j), state), 1, Integer::sum);
        }
        return rows;
    }

    /** A job's process type, as its metrics name it ({@code run} for a one-off without one). */
    static String typeOf(JobSpec j) {
        return j.type() != null ? j.type() : "run";
    }

    /** The jobs among {@code updated} that a plan restarts: their attempt is higher than in {@code view}. */
    static List<JobSpec> restarted(ClusterView view, List<JobSpec> updated) {
        Map<String, Integer> attempts = new java.util.HashMap<>();
        for (JobSpec j : view.jobs()) attempts.put(j.id(), j.attempt());
        return updated.stream().filter(u -> u.attempt() > attempts.getOrDefault(u.id(), Integer.MAX_VALUE)).toList();
    }
}
