package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.core.ImageArchive;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageArchiverTest {
    static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    static final String A = "sha256:" + "a".repeat(64);
    static final String B = "sha256:" + "b".repeat(64);
    static final String C = "sha256:" + "c".repeat(64);

    static ImageArchive archive(String image, Instant at, String... layers) {
        return new ImageArchive(image, "sha256:" + "f".repeat(64), "{}",
                java.util.Arrays.stream(layers).map(d -> new ImageArchive.Layer(d, 1)).toList(), "http://b/blobs/", at);
    }

    @Test
    void keptImagesHereAreStoredOnceAndGridsOwnNever() {
        Set<String> kept = Set.of("grid-app/a:2", "grid-app/a:1", "grid/stack:bookworm-3", "elsewhere/only:1");
        var plan = ImageArchiver.plan(kept, List.of(archive("grid-app/a:1", NOW.minus(Duration.ofDays(1)), A)),
                image -> !image.startsWith("elsewhere/"), NOW);
        assertEquals(List.of("grid-app/a:2"), plan.store(), "not the one stored, not Grid's stack, not one this machine lacks");
        assertEquals(List.of(), plan.forget());
    }

    @Test
    void archivesOfImagesNoLongerKeptGoOnceAnHourOld() {
        var plan = ImageArchiver.plan(Set.of("grid-app/a:3"), List.of(
                archive("grid-app/a:1", NOW.minus(Duration.ofHours(2)), A),
                archive("grid-app/a:2", NOW.minus(Duration.ofMinutes(5)), A),
                archive("grid-app/a:3", NOW.minus(Duration.ofDays(3)), A)), image -> true, NOW);
        assertEquals(List.of("grid-app/a:1"), plan.forget(), "a:2 is too young (its release may be on its way), a:3 is kept");
        assertEquals(List.of(), plan.store());
    }

    @Test
    void layersGoWhenNoArchiveNamesThemAndTheyAreAnHourOld() {
        Instant old = NOW.minus(Duration.ofHours(2));
        Map<String, Instant> blobs = Map.of(
                ImageArchive.blobName(A), old,
                ImageArchive.blobName(B), old,
                ImageArchive.blobName(C), NOW.minus(Duration.ofMinutes(1)));
        List<String> unused = ImageArchiver.unusedLayers(List.of(archive("grid-app/a:3", old, A)), blobs, NOW);
        assertEquals(List.of(ImageArchive.blobName(B)), unused, "A is used; C may belong to a store under way");
    }
}
