package dev.grid.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The machine's network tools (nft, ss, conntrack), run with a bound: errors carry the tool's own words. */
public final class Commands {
    private Commands() {}

    /** Runs {@code command}, feeding it {@code input} if not null; what it printed, or an error naming it with that output. */
    public static String run(List<String> command, String input) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (input != null) {
                try (var in = p.getOutputStream()) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": timed out after 30 s");
            }
            if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + ": " + out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(command.get(0) + " cannot run (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Whether {@code command} runs here (exit 0); the reason if not. */
    public static String unusable(String... command) {
        try {
            run(List.of(command), null);
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }
}
