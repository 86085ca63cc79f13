package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.JobSpec;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlugCollectionTest {
    private static final String URL = "http://10.0.0.1:7071/blobs/";
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    private static final Instant OLD = NOW.minus(Duration.ofDays(2));

    private static Release release(String app, int v, String slug) {
        return new Release(app + "-v" + v, app, v, "grid/stack", Map.of("web", ProcessType.of("node web.js")), Map.of(), OLD, "d",
                slug == null ? null : URL + slug);
    }

    private static List<Release> releases(String app, int n) {
        List<Release> rs = new ArrayList<>();
        for (int v = 1; v <= n; v++) rs.add(release(app, v, app + "-" + v + ".tgz"));
        return rs;
    }

    private static Map<String, Instant> blobs(List<Release> rs) {
        Map<String, Instant> b = new HashMap<>();
        for (Release r : rs) if (r.slugUrl() != null) b.put(SlugCollection.name(r.slugUrl()), OLD);
        return b;
    }

    @Test
    void theSlugsOfAnAppsLastTenReleasesStayAndOlderOnesGo() {
        List<Release> rs = releases("shop", 13);
        assertEquals(List.of("shop-1.tgz", "shop-2.tgz", "shop-3.tgz"), SlugCollection.collectable(rs, List.of(), blobs(rs), NOW));
        List<Release> few = releases("blog", 10);
        assertEquals(List.of(), SlugCollection.collectable(few, List.of(), blobs(few), NOW));
    }

    @Test
    void aRollbackKeepsTheOldSlugItDeploysAgain() {
        List<Release> rs = releases("shop", 12);
        rs.add(release("shop", 13, "shop-1.tgz")); // a rollback to v1
        assertEquals(List.of("shop-2.tgz", "shop-3.tgz"), SlugCollection.collectable(rs, List.of(), blobs(rs), NOW));
    }

    @Test
    void aJobStillRunningAnOldSlugKeepsIt() {
        List<Release> rs = releases("shop", 12);
        JobSpec job = new JobSpec("shop-web-1", "h", "shop", "shop-v1", "web", "grid/stack", "node web.js", Map.of(), 256, List.of(), false, 0,
                null, null, URL + "shop-1.tgz", List.of());
        assertEquals(List.of("shop-2.tgz"), SlugCollection.collectable(rs, List.of(job), blobs(rs), NOW));
    }

    @Test
    void aFreshSlugWithNoReleaseYetKeeperProgramsAndBackupsAreNeverCollected() {
        Map<String, Instant> b = new HashMap<>(Map.of(
                "shop-building.tgz", NOW.minus(Duration.ofMinutes(5)),
                "gone-app-1.tgz", OLD,
                "keeper-0123456789abcdef0123.tgz", OLD,
                "backup-db-b001.dump", OLD));
        assertEquals(List.of("gone-app-1.tgz"), SlugCollection.collectable(List.of(), List.of(), b, NOW),
                "a destroyed app's slug goes; the fresh one, the keeper and the backup stay");
    }

    @Test
    void aRollbackPastTheKeptReleasesIsRefusedWithWhatToDo() {
        List<Release> rs = releases("shop", 12);
        assertNull(SlugCollection.rollbackProblem(rs, rs.get(2)), "v3 is among the last ten");
        String why = SlugCollection.rollbackProblem(rs, rs.get(1));
        assertTrue(why != null && why.contains("v2 of shop is older than its last 10 releases") && why.contains("git push"), why);
        assertNull(SlugCollection.rollbackProblem(rs, release("shop", 1, null)), "a release of the stack image has nothing built to lose");
        List<Release> built = new ArrayList<>();
        for (int v = 1; v <= 12; v++) {
            built.add(new Release("web-v" + v, "web", v, "grid-app/web:" + v, Map.of("web", ProcessType.of("serve")), Map.of(), OLD, "d", null));
        }
        assertNull(SlugCollection.rollbackProblem(built, built.get(2)));
        String image = SlugCollection.rollbackProblem(built, built.get(0));
        assertTrue(image != null && image.contains("its image may be gone"), "a Dockerfile build's image is collected the same way: " + image);
    }
}
