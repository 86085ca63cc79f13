package dev.grid.appliance;

import java.util.List;

/** A cluster's fixed shape: its member nodes, in order, and how it fails over. */
public record ClusterSpec(String appliance, String cluster, List<String> members, boolean synchronous) {
    public ClusterSpec {
        members = List.copyOf(members);
    }

    public ClusterKeys keys() {
        return new ClusterKeys(appliance, cluster);
    }
}
