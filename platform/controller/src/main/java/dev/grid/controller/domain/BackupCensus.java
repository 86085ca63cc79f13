package dev.grid.controller.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** The age of each add-on's newest backup, for the metrics: a pure function of the backups kept. */
public final class BackupCensus {
    private BackupCensus() {}

    /** Add-on name to the age of its newest backup at {@code now}; an add-on without backups is absent. */
    public static Map<String, Duration> newestAge(Collection<Addons.Backup> backups, Instant now) {
        Map<String, Instant> newest = new TreeMap<>();
        for (Addons.Backup b : backups) newest.merge(b.addon(), b.createdAt(), (x, y) -> x.isAfter(y) ? x : y);
        Map<String, Duration> ages = new TreeMap<>();
        newest.forEach((addon, at) -> ages.put(addon, Duration.between(at, now).isNegative() ? Duration.ZERO : Duration.between(at, now)));
        return ages;
    }
}
