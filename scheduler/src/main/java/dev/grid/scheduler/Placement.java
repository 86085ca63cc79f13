package dev.grid.scheduler;

import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.ProcessType;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Feasibility and ranking for one placement: hosts with the process type's tags
 * and enough free memory, preferring the failure domain (a host's {@code zone} tag,
 * else the host itself) with the fewest jobs of that app and type, then of that app
 * (so an appliance's nodes, one type each, land in distinct zones when there are
 * enough, like Kubernetes' topology spread), then within it the host with the fewest
 * jobs of that app and type, then of that app, then the fewest jobs, then the lowest
 * id (so the choice is stable). Without zone tags every host is its own domain.
 */
public final class Placement {
    private final List<HostInfo> hosts;
    /** The jobs placed so far, by id, and what they add up to per host: each choice costs hosts, not jobs. */
    private final Map<String, JobSpec> assigned = new HashMap<>();
    private final Map<String, Long> reservedMb = new HashMap<>();
    private final Map<String, Integer> onHost = new HashMap<>();
    private final Map<String, Integer> ofApp = new HashMap<>();
    private final Map<String, Integer> ofAppType = new HashMap<>();

    public Placement(Collection<HostInfo> hosts, Collection<JobSpec> assigned) {
        this.hosts = List.copyOf(hosts);
        for (JobSpec j : assigned) add(j);
    }

    public Optional<HostInfo> choose(String app, String type, ProcessType process) {
        // Per failure domain, the app's jobs of this type and of every type: counted once, not per comparison.
        Map<String, long[]> inDomain = new HashMap<>();
        for (HostInfo h : hosts) {
            long[] n = inDomain.computeIfAbsent(h.failureDomain(), k -> new long[2]);
            n[0] += count(h, app, type);
            n[1] += count(h, app, null);
        }
        long[] none = new long[2];
        return hosts.stream()
                .filter(h -> h.hasTags(process.tags()))
                .filter(h -> freeMemoryMb(h) >= process.memoryMb())
                .filter(h -> count(h, null, null) < ports(h))
                .min(Comparator.<HostInfo>comparingLong(h -> inDomain.getOrDefault(h.failureDomain(), none)[0])
                        .thenComparingLong(h -> inDomain.getOrDefault(h.failureDomain(), none)[1])
                        .thenComparingLong(h -> count(h, app, type))
                        .thenComparingLong(h -> count(h, app, null))
                        .thenComparingLong(h -> count(h, null, null))
                        .thenComparing(HostInfo::id));
    }

    /**
     * Why nothing fits, for the operator: no host up, none with the tags, none with a free port
     * where the memory is (every job takes one of its host's GRID_PORT_RANGE), or none with the
     * memory (then how much is reserved of how much, and the most that one host has free).
     */
    public String whyNot(ProcessType process) {
        if (hosts.isEmpty()) return "no host is up";
        List<HostInfo> tagged = hosts.stream().filter(h -> h.hasTags(process.tags())).toList();
        if (tagged.isEmpty()) return "no host has tags " + process.tags();
        List<HostInfo> roomy = tagged.stream().filter(h -> freeMemoryMb(h) >= process.memoryMb()).toList();
        if (!roomy.isEmpty()) {
            HostInfo h = roomy.get(0);
            return String.format(java.util.Locale.ROOT, "no host with %,d MB free has a free port (%s%s has all %,d of its ports %d-%d taken:"
                    + " widen GRID_PORT_RANGE there, or add a host)", process.memoryMb(), roomy.size() == 1 ? "" : roomy.size() + " such hosts; ",
                    h.id(), ports(h), h.portMin(), h.portMax());
        }
        long total = tagged.stream().mapToLong(HostInfo::schedulableMb).sum();
        long reserved = tagged.stream().mapToLong(h -> h.schedulableMb() - freeMemoryMb(h)).sum();
        HostInfo most = tagged.stream().max(Comparator.comparingLong(this::freeMemoryMb)).orElseThrow();
        return String.format(java.util.Locale.ROOT, "no host has %,d MB free (%,d of %,d MB reserved%s; the most free is %,d MB, on %s)",
                process.memoryMb(), reserved, total, tagged.size() == 1 ? "" : " over " + tagged.size() + " hosts",
                Math.max(0, freeMemoryMb(most)), most.id());
    }

    public void add(JobSpec job) {
        JobSpec was = assigned.put(job.id(), job);
        if (was != null) tally(was, -1); // the same job again (moved, or rewritten): counted once
        tally(job, 1);
    }

    public void remove(JobSpec job) {
        JobSpec was = assigned.remove(job.id());
        if (was != null) tally(was, -1);
    }

    private void tally(JobSpec j, int sign) {
        reservedMb.merge(j.hostId(), sign * j.memoryMb(), Long::sum);
        onHost.merge(j.hostId(), sign, Integer::sum);
        ofApp.merge(j.hostId() + "\u0000" + j.app(), sign, Integer::sum);
        ofAppType.merge(j.hostId() + "\u0000" + j.app() + "\u0000" + j.type(), sign, Integer::sum);
    }

    private long freeMemoryMb(HostInfo h) {
        return h.schedulableMb() - reservedMb.getOrDefault(h.id(), 0L);
    }

    /** A job takes one port of its host's range ({@code PORT}). */
    private static long ports(HostInfo h) {
        return (long) h.portMax() - h.portMin() + 1;
    }

    private long count(HostInfo h, String app, String type) {
        if (app == null) return onHost.getOrDefault(h.id(), 0);
        if (type == null) return ofApp.getOrDefault(h.id() + "\u0000" + app, 0);
        return ofAppType.getOrDefault(h.id() + "\u0000" + app + "\u0000" + type, 0);
    }
}
