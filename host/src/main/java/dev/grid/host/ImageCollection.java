package dev.grid.host;

import dev.grid.core.JobSpec;
import dev.grid.core.Release;
import dev.grid.core.Retention;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images of Dockerfile builds on this machine (built here, or loaded from the blob store) that {@link Retention} no longer keeps: no
 * release among their app's last ten names them, no job runs them, and they are over an hour old.
 */
public final class ImageCollection {
    private static final Logger log = LoggerFactory.getLogger(ImageCollection.class);

    private ImageCollection() {}

    /** The names, of {@code images}, to remove. */
    public static List<String> collectable(Collection<Docker.ImageTag> images, Retention.Kept kept, Instant now) {
        List<String> out = new ArrayList<>();
        for (Docker.ImageTag i : images) {
            if (!i.name().startsWith(Retention.BUILT_IMAGES) || kept.images().contains(i.name())) continue;
            if (i.created().isAfter(now.minus(Retention.MIN_AGE))) continue;
            out.add(i.name());
        }
        out.sort(null);
        return out;
    }

    /** One round against this machine's Docker; the names removed (an image a container still uses stays). */
    public static List<String> collect(Store store, Docker docker, Instant now) {
        return collect(store, docker, Retention.BUILT_IMAGES, now);
    }

    /** As above, over the images whose names start with {@code prefix} only. */
    static List<String> collect(Store store, Docker docker, String prefix, Instant now) {
        return collect(docker, Retention.of(store.values(Keys.RELEASES, Release.class), store.values(Keys.JOBS, JobSpec.class)), prefix, now);
    }

    /** As above, with what {@link Retention} keeps already read. */
    public static List<String> collect(Docker docker, Retention.Kept kept, String prefix, Instant now) {
        List<String> removed = new ArrayList<>();
        for (String name : collectable(docker.images(prefix), kept, now)) {
            if (docker.removeImageIfUnused(name)) removed.add(name);
        }
        if (!removed.isEmpty()) log.info("removed {} image(s) of Dockerfile builds that no release among each app's last {} runs", removed.size(), Retention.KEEP);
        return removed;
    }

    /** Runs {@link #collect} every {@code every} (the first after one period), until closed; a failed round is logged and tried next time. */
    public static dev.grid.store.CoalescedTask start(Store store, Docker docker, Duration every) {
        return new dev.grid.store.CoalescedTask("image-collector", () -> collect(store, docker, Instant.now())).every(every, every);
    }
}
