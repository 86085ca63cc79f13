package dev.grid.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a process runs from a slug, as on Heroku: the slug at /app as HOME, /app/.profile.d/*.sh
 * sourced, then the command. Each container unpacks its own copy of the slug (bound read-only
 * at /grid/slug.tgz) into /app before the command runs, as the container's user: the files
 * are the app's, writable and gone with the container, as on a Heroku dyno, and nothing of the
 * slug is ever unpacked on the host. Used by the host agent for jobs and by the builder for
 * the release phase.
 */
public final class SlugProcess {
    public static final String APP_DIR = "/app";
    private static final String SLUG = "/grid/slug.tgz";
    /** The repository of {@link #base} images. */
    public static final String BASE = "grid/slug-base";

    private SlugProcess() {}

    public static List<String> command() {
        return List.of("/bin/sh", "-c", "tar -xzf " + SLUG + " -C /app || exit 1; "
                + "cd /app && for f in /app/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; exec /bin/sh -c \"$GRID_COMMAND\"");
    }

    /** The slug's tarball, read-only where {@link #command} unpacks it from. */
    public static Docker.Mount bind(Path slugTarball) {
        return Docker.bindReadOnly(slugTarball.toString(), SLUG);
    }

    /**
     * The image a slug runs from as {@code uid}: {@code image} with an empty /app that this user
     * owns, as a Heroku dyno's /app is its user's. Made once per image and user on this Docker
     * engine (one layer of one directory), so a container's start costs no archive of its own:
     * Docker spends about 0.1 s on each.
     */
    public static synchronized String base(Docker docker, String image, int uid) {
        String id = docker.imageId(image);
        String tag = id.substring(id.indexOf(':') + 1, id.indexOf(':') + 13) + "-" + uid;
        String name = BASE + ":" + tag;
        if (docker.hasImage(name)) return name;
        String container = docker.create(new Docker.ContainerSpec("grid-slug-base-" + tag + "-" + System.nanoTime(), image, List.of("/bin/true"),
                Map.of(), Map.of("grid.managed", "true"), new Sandbox(null, List.of(), 0, 0, 16), List.of(),
                List.of(Docker.Archive.of("/", Tars.directories(uid, APP_DIR.substring(1))))));
        try {
            docker.commit(container, BASE, tag);
            return name;
        } finally {
            docker.remove(container, 0);
        }
    }

    /**
     * Of the {@link #base} images' tags, those of a user whose app this Grid destroyed: UIDs are
     * never given twice ({@code uidClaims} keeps each app's for good), so the image is never used
     * again. A UID this Grid never gave (another Grid's, on a shared engine) is left alone.
     */
    public static List<String> staleBases(java.util.Collection<String> tags, Map<Integer, String> uidClaims, java.util.Set<String> apps) {
        List<String> stale = new java.util.ArrayList<>();
        for (String tag : tags) {
            var uid = baseUid(tag);
            if (uid.isEmpty()) continue;
            String app = uidClaims.get(uid.getAsInt());
            if (app != null && !apps.contains(app)) stale.add(tag);
        }
        return stale;
    }

    /** The user a {@link #base} image's tag ({@code STACK-UID}) is for, or empty if the tag is of another form. */
    public static java.util.OptionalInt baseUid(String tag) {
        int dash = tag.lastIndexOf('-');
        if (dash < 0 || dash == tag.length() - 1 || tag.length() - dash > 11) return java.util.OptionalInt.empty();
        for (int i = dash + 1; i < tag.length(); i++) if (!Character.isDigit(tag.charAt(i))) return java.util.OptionalInt.empty();
        long uid = Long.parseLong(tag.substring(dash + 1));
        return uid > Integer.MAX_VALUE ? java.util.OptionalInt.empty() : java.util.OptionalInt.of((int) uid);
    }

    /** Adds what the wrapper and the app expect to {@code env}. */
    public static void env(Map<String, String> env, String dyno, String command) {
        env.put("HOME", APP_DIR);
        env.put("DYNO", dyno);
        env.put("GRID_COMMAND", command);
    }
}
