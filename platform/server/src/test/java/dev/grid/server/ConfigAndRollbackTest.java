package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.testing.Eventually;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Config changes and rollbacks each make a new release; the running app sees them, through the router. */
class ConfigAndRollbackTest {
    static TestCluster grid;
    /** Answers its GREETING config var; /slow answers after 300 ms. */
    static final String GREETER = "node -e \"require('http').createServer((q,s)=>setTimeout(()=>s.end(process.env.GREETING||'none'),"
            + "q.url==='/slow'?300:0)).listen(process.env.PORT)\"";

    @BeforeAll
    static void start() {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
        grid.api.ok("POST", "/apps", "{\"name\":\"greeter\"}");
        grid.api.ok("POST", "/apps/greeter/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + TestApi.JSON.valueToTree(GREETER) + "}}}");
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    static void awaitAnswer(String expected) {
        Eventually.await("greeter to answer " + expected, Duration.ofSeconds(20),
                () -> RoutedAppTest.viaRouter(grid, "greeter.grid.test", "/"), r -> r.equals("HTTP/1.1 200 OK | " + expected));
    }

    @Test
    void configChangesAndRollbacksAreReleasesTheAppServes() {
        awaitAnswer("none");
        var set = grid.api.cli("config:set", "-a", "greeter", "GREETING=hello", "OTHER=1");
        assertEquals(0, set.exitCode(), set.err());
        assertTrue(set.out().contains("v2"), set.out());
        awaitAnswer("hello");
        assertEquals("hello\n", grid.api.cli("config:get", "-a", "greeter", "GREETING").out());

        assertEquals(0, grid.api.cli("config:set", "-a", "greeter", "GREETING=bonjour").exitCode());
        awaitAnswer("bonjour");

        var back = grid.api.cli("releases:rollback", "-a", "greeter");
        assertEquals(0, back.exitCode(), back.err());
        assertTrue(back.out().contains("v4 (Rollback to v2)"), back.out());
        awaitAnswer("hello");

        assertEquals(0, grid.api.cli("releases:rollback", "-a", "greeter", "v1").exitCode());
        awaitAnswer("none");

        var releases = grid.api.cli("releases", "-a", "greeter");
        List<String> lines = releases.out().lines().toList();
        assertTrue(lines.get(1).startsWith("v5") && lines.get(1).contains("Rollback to v1"), releases.out());
        assertTrue(releases.out().contains("Set GREETING, OTHER config vars"), releases.out());
        var info = grid.api.cli("releases:info", "-a", "greeter", "v3");
        assertTrue(info.out().contains("By:      Set GREETING config vars"), info.out());

        assertEquals(0, grid.api.cli("releases:rollback", "-a", "greeter", "v4").exitCode());
        awaitAnswer("hello");
        var unset = grid.api.cli("config:unset", "-a", "greeter", "GREETING");
        assertEquals(0, unset.exitCode(), unset.err());
        awaitAnswer("none");
        assertTrue(grid.api.cli("config", "-a", "greeter").out().contains("OTHER: 1"));
    }

    @Test
    void badConfigAndRollbackRequestsChangeNothing() {
        int before = grid.api.ok("GET", "/apps/greeter/releases", null).size();
        var unknown = grid.api.cli("config:unset", "-a", "greeter", "NOPE");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("config var NOPE is not set on greeter"), unknown.err());
        var badKey = grid.api.cli("config:set", "-a", "greeter", "1BAD=x");
        assertTrue(badKey.err().contains("invalid config var name '1BAD'"), badKey.err());
        var noPair = grid.api.cli("config:set", "-a", "greeter", "JUSTAKEY");
        assertTrue(noPair.err().contains("use KEY=VALUE"), noPair.err());
        var missing = grid.api.cli("releases:rollback", "-a", "greeter", "v99");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("no release v99 of greeter"), missing.err());
        var badVersion = grid.api.cli("releases:info", "-a", "greeter", "latest");
        assertTrue(badVersion.err().contains("use vN"), badVersion.err());
        var getMissing = grid.api.cli("config:get", "-a", "greeter", "NOPE");
        assertEquals(1, getMissing.exitCode());
        assertEquals(before, grid.api.ok("GET", "/apps/greeter/releases", null).size(), "no release was made");
    }
}
