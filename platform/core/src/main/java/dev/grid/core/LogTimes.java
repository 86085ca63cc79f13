package dev.grid.core;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The time at the start of a log line, as every part of Grid writes it: UTC with microseconds and
 * a fixed width ({@code 2026-12-07T01:02:03.123456Z}), so that lines from jobs and routers on
 * different hosts sort by time as text.
 */
public final class LogTimes {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    /** The width of a formatted time. */
    public static final int WIDTH = 27;

    private LogTimes() {}

    public static String format(Instant t) {
        return FORMAT.format(t);
    }

    public static String formatMillis(long epochMillis) {
        return FORMAT.format(Instant.ofEpochMilli(epochMillis));
    }

    /**
     * A line that Docker gave with its time first (RFC 3339 with up to nine digits, trailing zeros
     * dropped), with that time in Grid's form; a line without one is returned as it is.
     */
    public static String normalize(String dockerLine) {
        int space = dockerLine.indexOf(' ');
        String time = space < 0 ? dockerLine : dockerLine.substring(0, space);
        try {
            Instant t = Instant.parse(time);
            return format(t) + (space < 0 ? " " : dockerLine.substring(space));
        } catch (DateTimeParseException e) {
            return dockerLine;
        }
    }

    /** Whether {@code line} begins with a time in Grid's form. */
    public static boolean timed(String line) {
        return line.length() >= WIDTH && line.charAt(4) == '-' && line.charAt(10) == 'T' && line.charAt(WIDTH - 1) == 'Z';
    }
}
