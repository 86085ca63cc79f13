package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.store.Entry;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every bad request gets a 4xx with a clear message, and leaves etcd exactly as it was. */
class BadInputTest {
    static TestCluster grid;

    @BeforeAll
    static void start() {
        grid = new TestCluster(5);
        grid.api.ok("POST", "/apps", "{\"name\":\"good\"}");
        grid.api.ok("POST", "/apps/good/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":\"sleep 1000\"}}}");
        // With no host, the scheduler says so in unplaced/good/web: let it, before any test compares etcd before and after.
        dev.grid.testing.Eventually.await("the scheduler's word on good's web job", java.time.Duration.ofSeconds(10),
                () -> grid.store.get(dev.grid.store.Keys.unplaced("good", "web")).isPresent(), seen -> seen);
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    private static List<String> state() {
        return grid.store.list("").entries().stream().filter(e -> !e.key().startsWith("elections/"))
                .map(e -> e.key() + "@" + e.modRevision()).toList();
    }

    private static void rejected(int status, String contains, String method, String path, String body) {
        rejected(status, contains, method, path, body, grid.token);
    }

    private static void rejected(int status, String contains, String method, String path, String body, String token) {
        List<String> before = state();
        TestApi.Response r = grid.api.call(method, path, body, token);
        assertEquals(status, r.status(), method + " " + path + " " + body + " -> " + r.body());
        String error = r.body().path("error").asText();
        assertTrue(error.contains(contains), "error for " + method + " " + path + " should say '" + contains + "': " + error);
        assertEquals(before, state(), "a rejected request changed nothing");
    }

    @Test
    void unknownApp() {
        rejected(404, "no app named 'nope'", "GET", "/apps/nope", null);
        rejected(404, "no app named 'nope'", "PATCH", "/apps/nope/formation", "{\"processes\":{\"web\":1}}");
        rejected(404, "no app named 'nope'", "DELETE", "/apps/nope", null);
    }

    @Test
    void invalidOrTakenName() {
        rejected(422, "invalid app name 'Bad_Name'", "POST", "/apps", "{\"name\":\"Bad_Name\"}");
        rejected(422, "app name is required", "POST", "/apps", "{}");
        rejected(409, "taken", "POST", "/apps", "{\"name\":\"good\"}");
    }

    @Test
    void negativeOrHugeScale() {
        rejected(422, "must be 0 or more", "PATCH", "/apps/good/formation", "{\"processes\":{\"web\":-1}}");
        rejected(422, "at most 100", "PATCH", "/apps/good/formation", "{\"processes\":{\"web\":1000}}");
        rejected(400, "web", "PATCH", "/apps/good/formation", "{\"processes\":{\"web\":\"many\"}}");
    }

    @Test
    void unknownProcessType() {
        rejected(422, "unknown process type 'wrker'", "PATCH", "/apps/good/formation", "{\"processes\":{\"web\":2,\"wrker\":1}}");
    }

    @Test
    void malformedJsonAndUnknownKeys() {
        rejected(400, "invalid JSON", "POST", "/apps", "{\"name\":");
        rejected(400, "invalid JSON", "PATCH", "/apps/good/formation", "not json");
        rejected(400, "imagee", "POST", "/apps/good/releases", "{\"imagee\":\"x\",\"processes\":{\"web\":{\"command\":\"x\"}}}");
    }

    @Test
    void badReleases() {
        rejected(422, "image is required", "POST", "/apps/good/releases", "{\"processes\":{\"web\":{\"command\":\"x\"}}}");
        rejected(422, "at least one process type", "POST", "/apps/good/releases", "{\"image\":\"x\"}");
        rejected(422, "has no command", "POST", "/apps/good/releases", "{\"image\":\"x\",\"processes\":{\"web\":{}}}");
        rejected(422, "invalid process type 'Web Server'", "POST", "/apps/good/releases", "{\"image\":\"x\",\"processes\":{\"Web Server\":{\"command\":\"x\"}}}");
        rejected(422, "names a slug of its own", "POST", "/apps/good/releases",
                "{\"image\":\"x\",\"processes\":{\"web\":{\"command\":\"x\",\"slugUrl\":\"http://127.0.0.1:1/keeper.tgz\"}}}");
    }

    @Test
    void noTokenOrWrongToken() {
        rejected(401, "no token", "POST", "/apps", "{\"name\":\"sneaky\"}", null);
        rejected(401, "wrong token", "POST", "/apps", "{\"name\":\"sneaky\"}", "not-the-token");
        rejected(401, "wrong token", "DELETE", "/apps/good", null, "not-the-token");
    }

    @Test
    void cliReportsTheServersReasonAndExitsNonZero() {
        List<String> before = state();
        var r = grid.api.cli("ps:scale", "-a", "good", "web=-2");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("must be 0 or more"), r.err());
        var malformed = grid.api.cli("ps:scale", "-a", "good", "web");
        assertEquals(1, malformed.exitCode());
        assertTrue(malformed.err().contains("use TYPE=N"), malformed.err());
        assertEquals(before, state());
    }
}
