package dev.grid.cli;

/** A failure to report to the user in one line, with what to do about it. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
