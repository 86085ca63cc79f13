package dev.grid.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** A datastore's own client (psql, redis-cli) run from the CLI on an add-on's credentials. */
final class Tool {
    private Tool() {}

    /**
     * Runs {@code command} with {@code env} added (passwords go there, not in arguments):
     * attached to this terminal when {@code interactive}, otherwise with its output printed
     * to {@code out}. Returns its exit code.
     */
    static int run(List<String> command, Map<String, String> env, boolean interactive, PrintWriter out, String debianPackage)
            throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Process p;
        try {
            p = interactive ? pb.inheritIO().start() : pb.redirectErrorStream(true).start();
            if (!interactive) {
                out.print(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            throw new CliException("cannot run " + command.get(0) + " (" + e.getMessage() + "): apt-get install " + debianPackage);
        }
        return p.waitFor();
    }
}
