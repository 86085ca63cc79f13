package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A process type's size: the memory its jobs reserve on a host and may use (the container's
 * limit), {@code ProcessType.memoryMb}. {@code grid ps:resize} sets it through a new release (so a
 * rollback brings the old size back), and the app's next releases keep it unless they say
 * otherwise, as a Heroku dyno size outlives deploys.
 */
public final class Sizes {
    /** Below this a JVM or Node process does not start; Docker's own floor is 6 MB. */
    public static final long MIN_MB = 32;
    public static final long MAX_MB = 1 << 20;

    private Sizes() {}

    /** The processes of a new release: the types in {@code unsized} (no size given) keep the size they have in {@code current}. */
    public static Map<String, ProcessType> carried(Map<String, ProcessType> next, Set<String> unsized, Optional<Release> current) {
        Map<String, ProcessType> out = new LinkedHashMap<>(next);
        current.ifPresent(c -> {
            for (String type : unsized) {
                ProcessType now = c.processes().get(type);
                if (now != null && out.containsKey(type)) out.put(type, out.get(type).withMemory(now.memoryMb()));
            }
        });
        return out;
    }

    /** {@code current}'s processes with the sizes set; refuses, naming what is wrong, an unknown type or a size out of range. */
    public static Map<String, ProcessType> resized(Release current, Map<String, Long> sizes) {
        if (sizes == null || sizes.isEmpty()) throw GridException.invalid("say what to resize, e.g. web=512 (MB)");
        Map<String, ProcessType> out = new LinkedHashMap<>(current.processes());
        for (var e : new TreeMap<>(sizes).entrySet()) {
            ProcessType p = current.processes().get(e.getKey());
            if (p == null) {
                throw GridException.invalid("unknown process type '" + e.getKey() + "': release v" + current.version() + " has "
                        + String.join(", ", new TreeSet<>(current.processes().keySet())));
            }
            Long mb = e.getValue();
            if (mb == null || mb < MIN_MB || mb > MAX_MB) {
                throw GridException.invalid(String.format(Locale.ROOT, "cannot resize %s to %s MB: give %,d to %,d MB", e.getKey(), mb, MIN_MB, MAX_MB));
            }
            out.put(e.getKey(), p.withMemory(mb));
        }
        return out;
    }

    /** The release's description: {@code Resize web to 512 MB, worker to 1,024 MB}. */
    public static String description(Map<String, Long> sizes) {
        StringBuilder b = new StringBuilder("Resize ");
        new TreeMap<>(sizes).forEach((type, mb) -> b.append(b.length() > 7 ? ", " : "").append(String.format(Locale.ROOT, "%s to %,d MB", type, mb)));
        return b.toString();
    }
}
