package dev.grid.controller.domain;

import dev.grid.blobs.Blobs;
import dev.grid.core.JobSpec;
import dev.grid.core.Release;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes, every round, the slugs in this machine's blob store that {@link SlugCollection} says no release or job needs. */
public final class SlugCollector {
    private static final Logger log = LoggerFactory.getLogger(SlugCollector.class);

    private SlugCollector() {}

    /** One round; returns the names deleted. */
    public static List<String> collect(Store store, Blobs blobs, Instant now) throws IOException {
        List<Release> releases = store.values(Keys.RELEASES, Release.class);
        List<JobSpec> jobs = store.values(Keys.JOBS, JobSpec.class);
        Map<String, Instant> files = new HashMap<>();
        try (var list = Files.list(blobs.dir())) {
            for (Path p : list.filter(Files::isRegularFile).toList()) {
                files.put(p.getFileName().toString(), Files.getLastModifiedTime(p).toInstant());
            }
        }
        List<String> gone = SlugCollection.collectable(releases, jobs, files, now);
        long bytes = 0;
        for (String name : gone) {
            bytes += blobs.file(name).map(p -> p.toFile().length()).orElse(0L);
            blobs.delete(name);
        }
        if (!gone.isEmpty()) log.info("collected {} slug(s) no release among each app's last {} names ({} MiB)", gone.size(), SlugCollection.KEEP, bytes >> 20);
        return gone;
    }

    /** Runs {@link #collect} every {@code every} (the first after one period), until closed; a failed round is logged and tried next time. */
    public static dev.grid.store.CoalescedTask start(Store store, Blobs blobs, Duration every) {
        return new dev.grid.store.CoalescedTask("slug-collector", () -> {
            try {
                collect(store, blobs, Instant.now());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).every(every, every);
    }
}
