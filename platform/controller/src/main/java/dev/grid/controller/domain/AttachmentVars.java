package dev.grid.controller.domain;

import dev.grid.core.GridException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The config vars an attachment sets, Heroku's way: as the add-on gives them, or, for an
 * attachment named {@code --as ALIAS}, the add-on's URL as {@code ALIAS_URL} and every other var
 * K as {@code ALIAS_K} ({@code ANALYTICS_URL}, {@code ANALYTICS_JDBC_DATABASE_URL},
 * {@code ANALYTICS_PGHOST}, ...). So an app can hold two add-ons that set the same vars, a
 * second Postgres beside its first.
 *
 * <p>The add-on's URL is its {@code *_URL} var with the fewest words, then the shortest name:
 * {@code DATABASE_URL} of Postgres (not {@code JDBC_DATABASE_URL}), {@code REDIS_URL} of Redis.
 */
public final class AttachmentVars {
    /** Heroku's rule for attachment names: a letter, then capitals, digits and underscores. */
    private static final Pattern ALIAS = Pattern.compile("[A-Z][A-Z0-9_]{0,29}");

    private AttachmentVars() {}

    /** {@code alias} checked (null: none), with an error that says what a valid one looks like. */
    public static String alias(String alias) {
        if (alias == null) return null;
        if (!ALIAS.matcher(alias).matches()) {
            String upper = alias.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            throw GridException.invalid("invalid attachment name '" + alias + "': use up to 30 capital letters, digits and underscores,"
                    + " starting with a letter" + (ALIAS.matcher(upper).matches() ? " (e.g. --as " + upper + ")" : ""));
        }
        return alias;
    }

    /** The add-on's URL var among {@code env}'s, or null if it has none. */
    public static String urlVar(Map<String, String> env) {
        return urlVar(env.keySet());
    }

    /** The URL var among {@code vars}, or null if none is one. */
    static String urlVar(java.util.Collection<String> vars) {
        String best = null;
        for (String k : vars) {
            if (!k.endsWith("_URL")) continue;
            if (best == null || words(k) < words(best) || words(k) == words(best) && (k.length() < best.length()
                    || k.length() == best.length() && k.compareTo(best) < 0)) best = k;
        }
        return best;
    }

    private static int words(String var) {
        return var.split("_").length;
    }

    /** {@code vars} in the order to name them: the URL first, then by name. */
    static java.util.List<String> urlFirst(java.util.Collection<String> vars) {
        String url = urlVar(vars);
        return vars.stream().sorted(java.util.Comparator.comparing((String k) -> !k.equals(url)).thenComparing(k -> k)).toList();
    }

    /** The vars an attachment named {@code alias} (null: none) sets, from the add-on's {@code env}. */
    public static Map<String, String> of(Map<String, String> env, String alias) {
        if (alias == null) return env;
        String url = urlVar(env);
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, v) -> out.put(k.equals(url) ? alias + "_URL" : alias + "_" + k, v));
        return out;
    }
}
