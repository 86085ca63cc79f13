package dev.grid.controller.domain;

import dev.grid.core.GridException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A daily backup of an add-on ({@code grid pg:backups:schedule --at '02:00 UTC' --keep N}), as
 * Heroku schedules them: at a time of day in a zone, keeping the newest {@code keep} scheduled
 * backups. Key backup-schedules/ADDON. {@code lastSlot} is the last slot that was taken. The
 * decisions are pure: which slot is due ({@link #due}), and which backups retention drops ({@link #expired}).
 */
public record BackupSchedule(String addon, String at, String zone, int keep, Instant createdAt, Instant lastSlot) {
    public static final int DEFAULT_KEEP = 7;
    public static final int MAX_KEEP = 100;

    /** A new schedule from what an operator typed: {@code HH:MM} and a zone ({@code UTC}, {@code Europe/Paris}); UTC if none. */
    public static BackupSchedule parse(String addon, String when, Integer keep, Instant now) {
        String usage = "say when as HH:MM and a time zone, e.g. --at '02:00 UTC' or --at '23:30 America/New_York'";
        if (when == null || when.isBlank()) throw GridException.invalid(usage);
        String[] parts = when.strip().split("\\s+");
        if (parts.length > 2) throw GridException.invalid("invalid time '" + when + "': " + usage);
        LocalTime time;
        try {
            time = LocalTime.parse(parts[0].length() == 4 ? "0" + parts[0] : parts[0]);
        } catch (DateTimeParseException e) {
            throw GridException.invalid("invalid time '" + parts[0] + "': " + usage);
        }
        if (time.getSecond() != 0 || time.getNano() != 0) throw GridException.invalid("invalid time '" + parts[0] + "': whole minutes only, " + usage);
        String zone = parts.length == 2 ? parts[1] : "UTC";
        try {
            zone = ZoneId.of(zone).getId();
        } catch (DateTimeException e) {
            throw GridException.invalid("unknown time zone '" + zone + "': use UTC or a region such as Europe/Paris");
        }
        int k = keep == null ? DEFAULT_KEEP : keep;
        if (k < 1 || k > MAX_KEEP) throw GridException.invalid("--keep must be 1 to " + MAX_KEEP + ", not " + k);
        return new BackupSchedule(addon, time.toString(), zone, k, now, null);
    }

    /**
     * The slot to take now, or null: the latest time of day at or before {@code now} that comes
     * after the schedule was made and after the last slot taken. Only the latest: a Grid that was
     * down for days takes one backup when it is back, not one per day missed.
     */
    public Instant due(Instant now) {
        ZoneId z = ZoneId.of(zone);
        LocalTime time = LocalTime.parse(at);
        ZonedDateTime today = now.atZone(z).with(time);
        Instant slot = today.toInstant().isAfter(now) ? today.minusDays(1).toInstant() : today.toInstant();
        if (!slot.isAfter(createdAt)) return null;
        if (lastSlot != null && !slot.isAfter(lastSlot)) return null;
        return slot;
    }

    /** When the next slot comes after {@code now} (for grid pg:backups:schedules). */
    public Instant next(Instant now) {
        ZonedDateTime today = now.atZone(ZoneId.of(zone)).with(LocalTime.parse(at));
        return today.toInstant().isAfter(now) ? today.toInstant() : today.plusDays(1).toInstant();
    }

    /** The same schedule at another time of day (the same zone). */
    public BackupSchedule withAt(String time) {
        return new BackupSchedule(addon, LocalTime.parse(time).toString(), zone, keep, createdAt, lastSlot);
    }

    public BackupSchedule taken(Instant slot) {
        return new BackupSchedule(addon, at, zone, keep, createdAt, slot);
    }

    /** The scheduled backups beyond the newest {@code keep}: the oldest go. Backups taken by hand are kept. */
    public List<Addons.Backup> expired(List<Addons.Backup> backups) {
        List<Addons.Backup> scheduled = new ArrayList<>(backups.stream().filter(Addons.Backup::scheduled).toList());
        scheduled.sort(Comparator.comparing(Addons.Backup::createdAt).reversed());
        return scheduled.size() <= keep ? List.of() : List.copyOf(scheduled.subList(keep, scheduled.size()));
    }
}
