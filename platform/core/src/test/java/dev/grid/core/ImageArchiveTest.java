package dev.grid.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.store.Keys;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageArchiveTest {
    static final String A = "sha256:" + "a".repeat(64);
    static final String B = "sha256:" + "b".repeat(64);
    static final String C = "sha256:" + "c".repeat(64);

    @Test
    void aHostIsSentTheLayersAboveTheLongestChainItHas() {
        List<String> image = List.of(A, B, C);
        assertEquals(0, ImageArchive.shared(image, List.of()), "a host with no images gets every layer");
        assertEquals(1, ImageArchive.shared(image, List.of(List.of(A))), "it has the base");
        assertEquals(2, ImageArchive.shared(image, List.of(List.of(A), List.of(A, B, "sha256:" + "d".repeat(64)))), "the longest chain counts");
        assertEquals(0, ImageArchive.shared(image, List.of(List.of(B, C))), "a layer counts only on the same layers below it");
        assertEquals(3, ImageArchive.shared(image, List.of(List.of(A, B, C, C))));
    }

    @Test
    void layerNamesAreDiffIdsAndNothingElse() {
        assertEquals("layer-" + "a".repeat(64) + ".tar", ImageArchive.blobName(A));
        for (String bad : List.of("sha256:../../etc", "sha256:" + "A".repeat(64), "md5:" + "a".repeat(64), "sha256:" + "a".repeat(63) + "/")) {
            assertThrows(IllegalArgumentException.class, () -> ImageArchive.blobName(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new ImageArchive("x:1", A, "{}", List.of(new ImageArchive.Layer("sha256:../x", 1)), "u/", Instant.EPOCH));
        ImageArchive a = new ImageArchive("x:1", C, "{}", List.of(new ImageArchive.Layer(A, 5), new ImageArchive.Layer(B, 7)), "http://h:1/blobs/", Instant.EPOCH);
        assertEquals("http://h:1/blobs/layer-" + "b".repeat(64) + ".tar", a.url(a.layers().get(1)));
        assertEquals(12, a.bytes());
    }

    @Test
    void gridsOwnImagesAreNeverArchivedAndKeysAreOneWordEach() {
        assertFalse(ImageArchive.archivable("grid/stack:bookworm-5"), "every machine builds its own stack");
        assertFalse(ImageArchive.archivable(null));
        assertTrue(ImageArchive.archivable("grid-app/shop:abc"));
        assertTrue(ImageArchive.archivable("example.com/team/web:1"));
        String k = Keys.image("grid-app/shop:abc");
        assertTrue(k.matches("images/[0-9a-f]{64}"), k);
        assertEquals(k, Keys.image("grid-app/shop:abc"));
        assertNotEquals(k, Keys.image("grid-app/shop:abd"));
    }
}
