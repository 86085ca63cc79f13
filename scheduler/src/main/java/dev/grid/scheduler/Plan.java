package dev.grid.scheduler;

import dev.grid.core.JobSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the scheduler will do, as data: jobs to place, to stop, and to rewrite
 * (restart with back-off, block, unblock). Applied by one etcd transaction.
 * {@code unplaceable} says why wanted jobs could not be placed.
 */
public record Plan(List<JobSpec> place, List<JobSpec> stop, List<JobSpec> update, List<dev.grid.core.Unplaced> unplaceable) {
    public Plan() {
        this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    public boolean isEmpty() {
        return place.isEmpty() && stop.isEmpty() && update.isEmpty();
    }

    public Set<String> apps() {
        Set<String> apps = new LinkedHashSet<>();
        for (List<JobSpec> l : List.of(place, stop, update)) for (JobSpec j : l) apps.add(j.app());
        return apps;
    }

    public Set<String> placementHosts() {
        Set<String> hosts = new LinkedHashSet<>();
        for (JobSpec j : place) hosts.add(j.hostId());
        return hosts;
    }
}
