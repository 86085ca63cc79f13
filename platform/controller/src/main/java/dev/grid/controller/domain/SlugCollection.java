package dev.grid.controller.domain;

import dev.grid.core.JobSpec;
import dev.grid.core.Release;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which slugs the blob store may delete. An app's last {@link #KEEP} releases keep theirs (what
 * {@code grid rollback} can go back to), and so does every job that still runs one; a slug younger
 * than {@link #MIN_AGE} stays too (a build puts its slug before it writes the release that names
 * it). Keeper programs and backups are never slugs to collect: their names say what they are.
 */
public final class SlugCollection {
    public static final int KEEP = 10;
    public static final Duration MIN_AGE = Duration.ofHours(1);

    private SlugCollection() {}

    /** The blob names (of {@code blobs}, each with its time) that no kept release or job names. */
    public static List<String> collectable(Collection<Release> releases, Collection<JobSpec> jobs, Map<String, Instant> blobs, Instant now) {
        Set<String> kept = new HashSet<>();
        Map<String, List<Release>> byApp = releases.stream().collect(Collectors.groupingBy(Release::app));
        for (List<Release> rs : byApp.values()) {
            for (Release r : newest(rs)) slugsOf(r).forEach(u -> kept.add(name(u)));
        }
        for (JobSpec j : jobs) if (j.slugUrl() != null) kept.add(name(j.slugUrl()));
        List<String> out = new ArrayList<>();
        for (var b : blobs.entrySet()) {
            String n = b.getKey();
            if (!n.endsWith(".tgz") || n.startsWith("keeper-") || n.startsWith(dev.grid.blobs.Blobs.BACKUP_PREFIX)) continue;
            if (kept.contains(n) || b.getValue().isAfter(now.minus(MIN_AGE))) continue;
            out.add(n);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Why a rollback of {@code app} to {@code target} cannot be made, or null: its slug is kept only while one of the last releases names it. */
    public static String rollbackProblem(Collection<Release> appReleases, Release target) {
        if (target.slugUrl() == null) return null; // an image's release: its image is the host's, not the blob store's
        for (Release r : newest(appReleases)) if (slugsOf(r).contains(target.slugUrl())) return null;
        return "v" + target.version() + " of " + target.app() + " is older than its last " + KEEP + " releases, whose slugs are all Grid keeps:"
                + " its slug may be gone. Deploy that code again instead (git push a branch at its commit)";
    }

    private static List<Release> newest(Collection<Release> rs) {
        return rs.stream().sorted(Comparator.comparingInt(Release::version).reversed()).limit(KEEP).toList();
    }

    private static Set<String> slugsOf(Release r) {
        Set<String> s = new HashSet<>();
        if (r.slugUrl() != null) s.add(r.slugUrl());
        r.processes().values().forEach(p -> {
            if (p.slugUrl() != null) s.add(p.slugUrl());
        });
        return s;
    }

    /** A slug URL's blob name. */
    static String name(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }
}
