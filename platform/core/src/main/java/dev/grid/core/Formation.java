package dev.grid.core;

import java.util.Map;

/** Desired state of an app: which release runs, and how many of each process type. */
public record Formation(String app, String releaseId, Map<String, Integer> processes) {
    public Formation {
        processes = processes == null ? Map.of() : Map.copyOf(processes);
    }

    public int count(String type) {
        return processes.getOrDefault(type, 0);
    }
}
