package dev.grid.core;

/**
 * Jobs that are wanted but that no host can take (key {@code unplaced/APP/TYPE}, written by the
 * scheduler when it changes): {@code grid ps} shows them as {@code unplaced}, with the reason.
 */
public record Unplaced(String app, String type, int missing, String reason) {}
