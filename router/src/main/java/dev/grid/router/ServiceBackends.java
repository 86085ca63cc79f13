package dev.grid.router;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** A service's live backends and its leader, immutable. Picks by the power of two choices on in-flight requests. */
public record ServiceBackends(List<Backend> all, Backend leader) {
    static final ServiceBackends NONE = new ServiceBackends(List.of(), null);

    /** A backend not in {@code exclude}, or null if none is left. */
    public Backend pick(Set<Backend> exclude) {
        List<Backend> candidates = all;
        if (!exclude.isEmpty()) candidates = all.stream().filter(b -> !exclude.contains(b)).toList();
        int n = candidates.size();
        if (n == 0) return null;
        if (n == 1) return candidates.get(0);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) j++;
        Backend a = candidates.get(i);
        Backend b = candidates.get(j);
        return a.inFlight.get() <= b.inFlight.get() ? a : b;
    }
}
