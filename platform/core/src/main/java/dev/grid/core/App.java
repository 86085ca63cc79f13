package dev.grid.core;

import java.time.Instant;
import java.util.regex.Pattern;

/** An application: a name that releases, formations and jobs hang off. */
public record App(String name, Instant createdAt) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,29}");

    /** Returns null when the name is valid, else what is wrong with it. */
    public static String nameProblem(String name) {
        if (name == null || name.isEmpty()) return "an app name is required";
        if (!NAME.matcher(name).matches() || name.endsWith("-"))
            return "invalid app name '" + name + "': use 1-30 lowercase letters, digits and dashes, starting with a letter and not ending with a dash";
        return null;
    }
}
