package dev.grid.controller.domain;

import dev.grid.core.JobSpec;
import dev.grid.core.Release;
import dev.grid.core.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which slugs the blob store may delete. An app's last {@link #KEEP} releases keep theirs (what
 * {@code grid rollback} can go back to), and so does every job that still runs one; a slug younger
 * than {@link #MIN_AGE} stays too (a build puts its slug before it writes the release that names
 * it). Keeper programs and backups are never slugs to collect: their names say what they are.
 */
public final class SlugCollection {
    public static final int KEEP = Retention.KEEP;
    public static final Duration MIN_AGE = Retention.MIN_AGE;

    private SlugCollection() {}

    /** The blob names (of {@code blobs}, each with its time) that no kept release or job names. */
    public static List<String> collectable(Collection<Release> releases, Collection<JobSpec> jobs, Map<String, Instant> blobs, Instant now) {
        Set<String> kept = new HashSet<>();
        for (String u : Retention.of(releases, jobs).slugUrls()) kept.add(name(u));
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

    /**
     * Why a rollback of {@code app} to {@code target} cannot be made, or null: its slug, or the image
     * its Dockerfile build made, is kept only while one of the last releases names it.
     */
    public static String rollbackProblem(Collection<Release> appReleases, Release target) {
        Retention.Kept kept = Retention.of(appReleases, List.of());
        boolean slug = target.slugUrl() == null || kept.slugUrls().contains(target.slugUrl());
        boolean image = target.image() == null || !target.image().startsWith(Retention.BUILT_IMAGES) || kept.images().contains(target.image());
        if (slug && image) return null;
        return "v" + target.version() + " of " + target.app() + " is older than its last " + KEEP + " releases, whose builds are all Grid keeps:"
                + " its " + (slug ? "image" : "slug") + " may be gone. Deploy that code again instead (git push a branch at its commit)";
    }

    /** A slug URL's blob name. */
    static String name(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }
}
