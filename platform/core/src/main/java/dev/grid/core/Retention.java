package dev.grid.core;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What Grid keeps of an app's builds: the slugs and images of its last {@link #KEEP} releases
 * (what {@code grid releases:rollback} can go back to) and those every job still runs. Anything
 * else a build made may be collected once older than {@link #MIN_AGE}: a build puts its slug or
 * image in place before it writes the release that names it.
 */
public final class Retention {
    public static final int KEEP = 10;
    public static final Duration MIN_AGE = Duration.ofHours(1);
    /** The repositories of the images Dockerfile builds make: {@code grid-app/APP:TAG}. */
    public static final String BUILT_IMAGES = "grid-app/";

    private Retention() {}

    /** The slug URLs and images that the kept releases and the jobs name. */
    public record Kept(Set<String> slugUrls, Set<String> images) {
        public Kept {
            slugUrls = Set.copyOf(slugUrls);
            images = Set.copyOf(images);
        }
    }

    public static Kept of(Collection<Release> releases, Collection<JobSpec> jobs) {
        Set<String> slugs = new HashSet<>();
        Set<String> images = new HashSet<>();
        Map<String, List<Release>> byApp = releases.stream().collect(Collectors.groupingBy(Release::app));
        for (List<Release> rs : byApp.values()) {
            for (Release r : newest(rs)) {
                slugs.addAll(slugsOf(r));
                if (r.image() != null) images.add(r.image());
            }
        }
        for (JobSpec j : jobs) {
            if (j.slugUrl() != null) slugs.add(j.slugUrl());
            if (j.image() != null) images.add(j.image());
        }
        return new Kept(slugs, images);
    }

    /** An app's {@link #KEEP} newest releases. */
    public static List<Release> newest(Collection<Release> rs) {
        return rs.stream().sorted(Comparator.comparingInt(Release::version).reversed()).limit(KEEP).toList();
    }

    /** The slugs a release runs: its own and any process type's. */
    public static Set<String> slugsOf(Release r) {
        Set<String> s = new HashSet<>();
        if (r.slugUrl() != null) s.add(r.slugUrl());
        r.processes().values().forEach(p -> {
            if (p.slugUrl() != null) s.add(p.slugUrl());
        });
        return s;
    }
}
