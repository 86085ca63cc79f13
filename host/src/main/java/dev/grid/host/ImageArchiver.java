package dev.grid.host;

import dev.grid.blobs.Blobs;
import dev.grid.core.ImageArchive;
import dev.grid.core.JobSpec;
import dev.grid.core.Release;
import dev.grid.core.Retention;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.store.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps in the blob store every image that a kept release or a job names ({@link Retention}) and
 * that is on this machine's Docker (Dockerfile builds, an operator's {@code grid deploy --image}
 * here), so that its jobs can run on any host ({@link ImageArchives.Loader}); and forgets the
 * archives of images no longer kept, with the layers no archive names. Runs where the builder
 * runs, whenever a release is written, and every few minutes.
 */
public final class ImageArchiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageArchiver.class);
    private final Store store;
    private final Docker docker;
    private final Blobs blobs;
    private final CoalescedTask task;
    private final Subscription watch;
    private final Set<String> absent = new HashSet<>();

    /** What a round does: the images to store, the archives (by image) to forget. */
    record Plan(List<String> store, List<String> forget) {}

    /**
     * Pure: of the {@code kept} images, those Grid may archive that are not archived yet and are
     * {@code here}; of the archived ones, those no longer kept, once older than {@link Retention#MIN_AGE}.
     */
    static Plan plan(Set<String> kept, Collection<ImageArchive> archived, Predicate<String> here, Instant now) {
        Set<String> have = new HashSet<>();
        List<String> forget = new ArrayList<>();
        for (ImageArchive a : archived) {
            if (kept.contains(a.image()) || a.storedAt().isAfter(now.minus(Retention.MIN_AGE))) have.add(a.image());
            else forget.add(a.image());
        }
        List<String> toStore = new ArrayList<>();
        for (String image : new TreeSet<>(kept)) {
            if (ImageArchive.archivable(image) && !have.contains(image) && here.test(image)) toStore.add(image);
        }
        forget.sort(null);
        return new Plan(toStore, forget);
    }

    /** Pure: the layer blobs (of {@code blobs}, name to time) no archive names, once older than {@link Retention#MIN_AGE} (a store writes its layers before its archive). */
    static List<String> unusedLayers(Collection<ImageArchive> archives, Map<String, Instant> blobs, Instant now) {
        Set<String> used = new HashSet<>();
        for (ImageArchive a : archives) a.diffIds().forEach(d -> used.add(ImageArchive.blobName(d)));
        List<String> out = new ArrayList<>();
        blobs.forEach((name, at) -> {
            if (!used.contains(name) && at.isBefore(now.minus(Retention.MIN_AGE))) out.add(name);
        });
        return out;
    }

    public ImageArchiver(Store store, Docker docker, Blobs blobs, Duration every) {
        this.store = store;
        this.docker = docker;
        this.blobs = blobs;
        this.task = new CoalescedTask("image-archiver", () -> round(Instant.now())).every(every);
        this.watch = store.watch(Keys.RELEASES, store.list(Keys.RELEASES).revision() + 1, changes -> task.request(), task::request);
    }

    /** One round: forget what is no longer kept, then store what is kept and not stored yet. */
    void round(Instant now) {
        Set<String> kept = Retention.of(store.values(Keys.RELEASES, Release.class), store.values(Keys.JOBS, JobSpec.class)).images();
        List<ImageArchive> archived = store.values(Keys.IMAGES, ImageArchive.class);
        Plan plan = plan(kept, archived, docker::hasImage, now);
        for (String image : plan.forget()) {
            store.delete(Keys.image(image));
            log.info("forgot the stored image {}: no kept release or job names it", image);
        }
        try {
            List<ImageArchive> left = archived.stream().filter(a -> !plan.forget().contains(a.image())).toList();
            long bytes = 0;
            List<String> unused = unusedLayers(left, blobs.names("layer-"), now);
            for (String name : unused) {
                bytes += blobs.file(name).map(p -> p.toFile().length()).orElse(0L);
                blobs.delete(name);
            }
            if (!unused.isEmpty()) log.info("removed {} image layer(s) no stored image uses ({} MiB)", unused.size(), bytes >> 20);
        } catch (IOException e) {
            log.warn("cannot remove unused image layers (tried again next round): {}", e.toString());
        }
        for (String image : plan.store()) {
            long started = System.nanoTime();
            try {
                ImageArchives.Exported x = ImageArchives.export(docker, blobs, store, image);
                log.info("stored image {} in the blob store for every host: {} layer(s), {} new ({} MiB), in {} ms", image,
                        x.archive().layers().size(), x.newLayers(), x.newBytes() >> 20, (System.nanoTime() - started) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot store image {} in the blob store (tried again next round): {}", image, e.toString());
            }
        }
        // Kept images that are not on this machine: said once, as hosts then cannot load them.
        for (String image : kept) {
            if (!ImageArchive.archivable(image) || plan.store().contains(image)) continue;
            boolean stored = archived.stream().anyMatch(a -> a.image().equals(image));
            if (!stored && absent.add(image)) {
                log.warn("image {} is neither stored for every host nor on the builder's machine: only hosts that have it can run it", image);
            }
        }
    }

    /** Asks for a round now (tests, and a build that just finished). */
    public void request() {
        task.request();
    }

    @Override
    public void close() {
        watch.close();
        task.close();
    }
}
