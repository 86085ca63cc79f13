package dev.grid.host;

import java.util.List;
import java.util.Map;

/**
 * How a process runs from a slug, as on Heroku: the slug at /app as HOME,
 * /app/.profile.d/*.sh sourced, then the command. Used by the host agent for
 * jobs and by the builder for the release phase.
 */
public final class SlugProcess {
    public static final String APP_DIR = "/app";

    private SlugProcess() {}

    public static List<String> command() {
        return List.of("/bin/sh", "-c", "cd /app && for f in /app/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; exec /bin/sh -c \"$GRID_COMMAND\"");
    }

    /** Adds what the wrapper and the app expect to {@code env}. */
    public static void env(Map<String, String> env, String dyno, String command) {
        env.put("HOME", APP_DIR);
        env.put("DYNO", dyno);
        env.put("GRID_COMMAND", command);
    }
}
