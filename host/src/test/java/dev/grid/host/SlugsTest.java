package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The host's cache of fetched slugs keeps what the kept releases and the jobs name, and nothing else for long. */
class SlugsTest {
    private static final String URL = "http://10.0.0.1:7071/blobs/";

    @Test
    void slugsNoKeptReleaseNamesAndAbandonedPartsGoOnceOldTheRestStay() throws Exception {
        Path dir = Files.createTempDirectory("grid-slugs");
        Slugs slugs = new Slugs(dir, () -> "token");
        Instant now = Instant.now();
        // What fetches would have left: three slugs and a part of one that never finished.
        Path kept = touch(dir, slugs, URL + "shop-2.tgz", now.minus(Duration.ofDays(3)));
        Path old = touch(dir, slugs, URL + "shop-1.tgz", now.minus(Duration.ofDays(3)));
        Path fresh = touch(dir, slugs, URL + "shop-3.tgz", now.minus(Duration.ofMinutes(10)));
        Path part = dir.resolve("slug123.part");
        Files.writeString(part, "half");
        Files.setLastModifiedTime(part, FileTime.from(now.minus(Duration.ofHours(2))));

        assertEquals(2, slugs.prune(Set.of(URL + "shop-2.tgz"), now));
        try (var left = Files.list(dir)) {
            assertEquals(List.of(fresh.getFileName().toString(), kept.getFileName().toString()).stream().sorted().toList(),
                    left.map(p -> p.getFileName().toString()).sorted().toList(), "the kept slug and the fresh one stay; " + old + " and the part go");
        }
        new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }

    /** A cached slug as a fetch of {@code url} leaves it, made {@code at}. */
    private static Path touch(Path dir, Slugs slugs, String url, Instant at) throws Exception {
        Path f = dir.resolve(Slugs.digest(url) + ".tgz");
        Files.writeString(f, "slug");
        Files.setLastModifiedTime(f, FileTime.from(at));
        return f;
    }
}
