package dev.grid.host;

import java.util.List;
import java.util.Map;

/**
 * How a process runs from a slug, as on Heroku: the slug at /app (its own copy) as HOME,
 * /app/.profile.d/*.sh sourced, then the command. Used by the host agent for
 * jobs and by the builder for the release phase.
 */
public final class SlugProcess {
    public static final String APP_DIR = "/app";

    private SlugProcess() {}

    public static List<String> command() {
        return List.of("/bin/sh", "-c", "cd /app && for f in /app/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; exec /bin/sh -c \"$GRID_COMMAND\"");
    }

    /**
     * What puts a slug at /app in a container before it starts: /app and the slug's files in one
     * tar ({@link #owned}), owned by the container's user. Each container has its own copy, writable and gone
     * with the container, as on a Heroku dyno.
     */
    public static List<Docker.Archive> archives(java.nio.file.Path ownedSlugTar) {
        return List.of(Docker.Archive.of("/", ownedSlugTar));
    }

    /** The slug as the tar {@link #archives} takes, owned by {@code uid}. */
    public static void owned(java.nio.file.Path slugTarball, int uid, java.nio.file.Path out) throws java.io.IOException {
        Tars.reown(slugTarball, uid, APP_DIR.substring(1), out);
    }

    /** Adds what the wrapper and the app expect to {@code env}. */
    public static void env(Map<String, String> env, String dyno, String command) {
        env.put("HOME", APP_DIR);
        env.put("DYNO", dyno);
        env.put("GRID_COMMAND", command);
    }
}
