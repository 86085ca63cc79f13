package dev.grid.appliance.redis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Redis settings an app's owner changes through Grid, since the app's user may not run
 * {@code CONFIG} (Heroku's {@code redis:maxmemory}, {@code redis:timeout} and
 * {@code redis:keyspace-notifications}): their names are Redis's own, their values what Redis
 * takes, checked here so that a keeper never meets one Redis refuses.
 */
final class RedisSettings {
    static final String MAXMEMORY = "maxmemory";
    static final String POLICY = "maxmemory-policy";
    static final String TIMEOUT = "timeout";
    static final String NOTIFICATIONS = "notify-keyspace-events";

    /** Redis's own defaults, which a node has for every setting not changed. */
    static final Map<String, String> DEFAULTS = defaults();
    static final List<String> POLICIES = List.of("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
            "volatile-lfu", "volatile-random", "volatile-ttl");
    /** Redis 7.0's event classes (docs: "Keyspace notifications"); A is every class but m and n. */
    static final String EVENT_CLASSES = "KEg$lshzxetmdnA";
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})(b|k|kb|m|mb|g|gb)?");

    private RedisSettings() {}

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(MAXMEMORY, "0");
        d.put(POLICY, "noeviction");
        d.put(TIMEOUT, "0");
        d.put(NOTIFICATIONS, "");
        return java.util.Collections.unmodifiableMap(d);
    }

    /**
     * The changes as Redis takes them (sizes in bytes, classes as given), or an
     * IllegalArgumentException naming the first bad one. {@code nodeMb} is the memory of a
     * node's container: a maxmemory above it would never be reached before the kernel stops the
     * node.
     */
    static Map<String, String> validate(Map<String, String> changes, long nodeMb) {
        if (changes.isEmpty()) throw new IllegalArgumentException("no setting given: choose among " + String.join(", ", DEFAULTS.keySet()));
        Map<String, String> out = new TreeMap<>();
        changes.forEach((name, raw) -> {
            String value = raw == null ? "" : raw.strip();
            out.put(name, switch (name) {
                case MAXMEMORY -> size(value, nodeMb);
                case POLICY -> {
                    if (!POLICIES.contains(value.toLowerCase(Locale.ROOT)))
                        throw new IllegalArgumentException("invalid maxmemory policy '" + value + "': use one of " + String.join(", ", POLICIES));
                    yield value.toLowerCase(Locale.ROOT);
                }
                case TIMEOUT -> {
                    long seconds;
                    try {
                        seconds = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        seconds = -1;
                    }
                    if (seconds < 0 || seconds > Integer.MAX_VALUE)
                        throw new IllegalArgumentException("invalid timeout '" + value + "': use whole seconds, 0 (never close idle connections) or more");
                    yield String.valueOf(seconds);
                }
                case NOTIFICATIONS -> notifications(value);
                default -> throw new IllegalArgumentException("Redis add-ons have no setting '" + name + "': choose among " + String.join(", ", DEFAULTS.keySet()));
            });
        });
        return out;
    }

    private static String size(String value, long nodeMb) {
        Matcher m = SIZE.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("invalid maxmemory '" + value + "': use a size such as 64mb, or 0 for none");
        long unit = switch (m.group(2) == null ? "b" : m.group(2)) {
            case "k", "kb" -> 1L << 10;
            case "m", "mb" -> 1L << 20;
            case "g", "gb" -> 1L << 30;
            default -> 1L;
        };
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes != 0 && bytes < 1L << 20) throw new IllegalArgumentException("invalid maxmemory '" + value + "': use at least 1mb, or 0 for none");
        if (bytes > nodeMb << 20)
            throw new IllegalArgumentException("invalid maxmemory '" + value + "': a node has " + nodeMb + " MB in all, so use at most " + nodeMb + "mb");
        return String.valueOf(bytes);
    }

    private static String notifications(String value) {
        for (char c : value.toCharArray()) {
            if (EVENT_CLASSES.indexOf(c) < 0)
                throw new IllegalArgumentException("invalid keyspace notifications '" + value + "': '" + c + "' is no event class; use letters of "
                        + EVENT_CLASSES + " (e.g. KEA), or \"\" for none");
        }
        if (!value.isEmpty() && value.indexOf('K') < 0 && value.indexOf('E') < 0)
            throw new IllegalArgumentException("invalid keyspace notifications '" + value + "': add K (keyspace) or E (keyevent), or nothing is sent");
        return value;
    }

    /** Every setting a node has: Redis's default where none was changed. */
    static Map<String, String> effective(Map<String, String> settings) {
        Map<String, String> out = new LinkedHashMap<>(DEFAULTS);
        settings.forEach((k, v) -> {
            if (out.containsKey(k)) out.put(k, v);
        });
        return out;
    }

    /** The redis.conf lines for {@link #effective} settings. */
    static List<String> confLines(Map<String, String> settings) {
        return effective(settings).entrySet().stream().map(e -> e.getKey() + " \"" + e.getValue() + "\"").toList();
    }
}
