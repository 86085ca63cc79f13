package dev.grid.core;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * An application: a name that releases, formations and jobs hang off, and the Unix user its
 * processes and builds run as ({@code uid}: its own, never another app's; null for Grid's own
 * apps, whose data nodes run as root in their containers).
 */
public record App(String name, Instant createdAt, Integer uid) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,29}");
    /** Names starting with this belong to Grid's own apps, such as appliance clusters. */
    public static final String SYSTEM_PREFIX = "grid-";

    /** One of Grid's own apps: no push, clone or one-off run; its data nodes run as the datastore needs. */
    public static boolean isSystem(String name) {
        return name != null && name.startsWith(SYSTEM_PREFIX);
    }

    /**
     * The discovery service of an app's process type: APP.TYPE. Neither app names nor process
     * types may contain a dot, so no two pairs share a service, and no pair produces the name
     * of a service that is not an app's (an appliance cluster's, say).
     */
    public static String service(String app, String type) {
        return app + "." + type;
    }

    /** The app of a service {@link #service} named, or the service itself if it is no app's (a cluster's, say). */
    public static String appOf(String service) {
        int dot = service.indexOf('.');
        return dot < 0 ? service : service.substring(0, dot);
    }

    /**
     * The UID a new app gets: one above every UID given so far (never one of a destroyed app, whose
     * files may outlive it), or the range's first. Empty when the range is used up.
     */
    public static java.util.OptionalInt nextUid(java.util.Collection<Integer> given, int min, int max) {
        int next = given.stream().mapToInt(Integer::intValue).filter(u -> u >= min && u <= max).max().orElse(min - 1) + 1;
        return next <= max ? java.util.OptionalInt.of(next) : java.util.OptionalInt.empty();
    }

    /** Returns null when the name is valid, else what is wrong with it. */
    public static String nameProblem(String name) {
        if (name == null || name.isEmpty()) return "an app name is required";
        if (!NAME.matcher(name).matches() || name.endsWith("-"))
            return "invalid app name '" + name + "': use 1-30 lowercase letters, digits and dashes, starting with a letter and not ending with a dash";
        return null;
    }
}
