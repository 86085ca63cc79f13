package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.JobSpec;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.core.Retention;
import dev.grid.core.StackImage;
import dev.grid.store.Deploys;
import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageCollectionTest {
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Instant OLD = NOW.minus(Duration.ofDays(1));

    private static Release release(String app, int v, String image) {
        return new Release(app + "-v" + v, app, v, image, Map.of("web", ProcessType.of("serve")), Map.of(), OLD, "d", null);
    }

    @Test
    void imagesOfTheLastTenReleasesAndOfRunningJobsStayOlderOnesGo() {
        List<Release> rs = new ArrayList<>();
        List<Docker.ImageTag> images = new ArrayList<>();
        for (int v = 1; v <= 13; v++) {
            rs.add(release("web", v, "grid-app/web:" + v));
            images.add(new Docker.ImageTag("grid-app/web:" + v, OLD));
        }
        JobSpec stillRunning = new JobSpec("web-web-1", "h", "web", "web-v2", "web", "grid-app/web:2", "serve", Map.of(), 256, List.of(), false,
                0, null, null, null, List.of());
        images.add(new Docker.ImageTag("grid-app/gone:1", OLD)); // a destroyed app's
        images.add(new Docker.ImageTag("grid-app/web:building", NOW.minus(Duration.ofMinutes(5)))); // no release yet
        images.add(new Docker.ImageTag("grid/stack:bookworm-3", OLD)); // not a build's
        assertEquals(List.of("grid-app/gone:1", "grid-app/web:1", "grid-app/web:3"),
                ImageCollection.collectable(images, Retention.of(rs, List.of(stillRunning)), NOW));
    }

    /** Against this machine's Docker and a real etcd: tags of the stack image stand in for two builds of an app. */
    @Test
    void aRoundRemovesTheImageNoKeptReleaseNamesAndKeepsTheOneThatIs() throws Exception {
        String app = "gc" + Long.toHexString(System.nanoTime());
        String kept = Retention.BUILT_IMAGES + app + ":kept";
        String old = Retention.BUILT_IMAGES + app + ":old";
        try (Store store = SharedEtcd.newStore(); Docker docker = new Docker(Docker.DEFAULT_HOST)) {
            for (String tag : List.of(kept, old)) {
                Process p = new ProcessBuilder("docker", "tag", StackImage.configured(), tag).redirectErrorStream(true).start();
                assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
            }
            try {
                Deploys.deploy(store, app, kept, null, Map.of("web", ProcessType.of("serve")), Map.of(), "Deploy " + kept).orElseThrow();
                // As if an hour had passed (the stack image's tags are as old as it is), over this test's images only.
                List<String> removed = ImageCollection.collect(store, docker, Retention.BUILT_IMAGES + app + ":", Instant.now().plus(Duration.ofHours(2)));
                assertTrue(removed.contains(old), "removed: " + removed);
                assertFalse(removed.contains(kept), "the current release's image stays: " + removed);
                assertFalse(docker.hasImage(old));
                assertTrue(docker.hasImage(kept));
                assertTrue(docker.hasImage(StackImage.configured()), "only the tag went, never the image other tags name");
            } finally {
                docker.removeImageIfUnused(kept);
                docker.removeImageIfUnused(old);
            }
        }
    }
}
