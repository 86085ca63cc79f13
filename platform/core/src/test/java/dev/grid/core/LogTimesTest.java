package dev.grid.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogTimesTest {
    @Test
    void dockersTimesOfAnyPrecisionBecomeOneWidthSoTheySortAsText() {
        // Docker drops a time's trailing zeros: as text, .5 would sort after .123456.
        assertEquals("2026-12-07T01:02:03.500000Z hello", LogTimes.normalize("2026-12-07T01:02:03.5Z hello"));
        assertEquals("2026-12-07T01:02:03.123456Z hello world", LogTimes.normalize("2026-12-07T01:02:03.123456789Z hello world"));
        assertEquals("2026-12-07T01:02:03.000000Z ", LogTimes.normalize("2026-12-07T01:02:03Z"));
        assertTrue(LogTimes.normalize("2026-12-07T01:02:03.5Z a").compareTo(LogTimes.normalize("2026-12-07T01:02:03.123456Z b")) > 0);
    }

    @Test
    void aLineWithoutATimeIsLeftAsItIs() {
        assertEquals("no time here", LogTimes.normalize("no time here"));
        assertEquals("", LogTimes.normalize(""));
        assertFalse(LogTimes.timed("no time here"));
        assertTrue(LogTimes.timed(LogTimes.normalize("2026-12-07T01:02:03.5Z x")));
        assertEquals(LogTimes.WIDTH, LogTimes.formatMillis(0).length());
    }
}
