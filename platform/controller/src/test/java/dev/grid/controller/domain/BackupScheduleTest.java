package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.GridException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a scheduled backup is due, and which ones retention drops: {@link BackupSchedule}. */
class BackupScheduleTest {
    private static final Instant MADE = Instant.parse("2026-12-07T10:00:00Z");

    @Test
    void aSlotIsDueOnceItsTimeHasComeAndOnlyOnceAndOnlyTheLatest() {
        BackupSchedule s = BackupSchedule.parse("db", "02:00 UTC", null, MADE);
        assertEquals(7, s.keep());
        assertNull(s.due(MADE.plus(Duration.ofHours(1))), "today's 02:00 passed before the schedule was made: not taken");
        Instant slot = Instant.parse("2026-12-08T02:00:00Z");
        assertNull(s.due(slot.minusSeconds(1)));
        assertEquals(slot, s.due(slot));
        assertEquals(slot, s.due(slot.plus(Duration.ofHours(5))), "a Grid that was down at 02:00 takes it when it is back");
        BackupSchedule taken = s.taken(slot);
        assertNull(taken.due(slot.plus(Duration.ofHours(5))), "taken once");
        assertEquals(slot.plus(Duration.ofDays(1)), taken.due(slot.plus(Duration.ofDays(1))));
        assertEquals(slot.plus(Duration.ofDays(3)), taken.due(slot.plus(Duration.ofDays(3)).plusSeconds(60)),
                "down for days: the latest slot only, not one backup per day missed");
        assertEquals(slot, s.next(MADE));
    }

    @Test
    void theTimeIsInItsZoneAcrossDaylightSaving() {
        // New York: 02:30 is 07:30 UTC in winter and 06:30 in summer.
        BackupSchedule ny = BackupSchedule.parse("db", "2:30 America/New_York", 3, Instant.parse("2026-01-01T00:00:00Z"));
        assertEquals(Instant.parse("2026-01-10T07:30:00Z"), ny.due(Instant.parse("2026-01-10T08:00:00Z")));
        assertEquals(Instant.parse("2026-07-10T06:30:00Z"), ny.due(Instant.parse("2026-07-10T08:00:00Z")));
        assertEquals("America/New_York", ny.zone());
        assertEquals("02:30", ny.at());
    }

    @Test
    void badSchedulesAreRefusedWithWhatToWrite() {
        for (String bad : new String[] {"", "2am", "25:00", "02:00:30", "02:00 Mars/Olympus", "02:00 UTC extra"}) {
            GridException e = assertThrows(GridException.class, () -> BackupSchedule.parse("db", bad, null, MADE), bad);
            assertEquals(422, e.status());
            assertTrue(e.getMessage().contains("02:00 UTC") || e.getMessage().contains("time zone"), e.getMessage());
        }
        assertThrows(GridException.class, () -> BackupSchedule.parse("db", "02:00", 0, MADE));
        assertThrows(GridException.class, () -> BackupSchedule.parse("db", "02:00", BackupSchedule.MAX_KEEP + 1, MADE));
    }

    @Test
    void retentionDropsTheOldestScheduledBackupsAndNeverOneTakenByHand() {
        BackupSchedule s = BackupSchedule.parse("db", "02:00", 2, MADE);
        Instant d1 = Instant.parse("2026-12-08T02:00:00Z");
        Addons.Backup byHand = new Addons.Backup("b001", "db", d1.minus(Duration.ofDays(30)), 10);
        Addons.Backup s1 = new Addons.Backup("b002", "db", d1, 10, d1);
        Addons.Backup s2 = new Addons.Backup("b003", "db", d1.plus(Duration.ofDays(1)), 10, d1.plus(Duration.ofDays(1)));
        Addons.Backup s3 = new Addons.Backup("b004", "db", d1.plus(Duration.ofDays(2)), 10, d1.plus(Duration.ofDays(2)));
        assertEquals(List.of(), s.expired(List.of(byHand, s1, s2)));
        assertEquals(List.of(s1), s.expired(List.of(byHand, s1, s2, s3)));
    }
}
