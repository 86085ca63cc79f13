package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    private static AccessLog.Request request(String path, String host, String type, String job, AccessLog.Error error, int status) {
        return new AccessLog.Request(1_796_000_000_123L, "GET", path, host, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "203.0.113.9", type, job, error,
                status, 1234, 1500, 3700, "http");
    }

    @Test
    void aLineIsHerokusRouterLine() {
        assertEquals("2026-11-30T00:53:20.123000Z router: at=info method=GET path=\"/cart?id=7\" host=shop.grid.test"
                        + " request_id=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d fwd=\"203.0.113.9\" dyno=web.shop-web-1 connect=1ms service=3ms status=200 bytes=1234 protocol=http",
                request("/cart?id=7", "shop.grid.test", "web", "shop-web-1", null, 200).line());
        assertEquals("2026-11-30T00:53:20.123000Z router: at=error code=H14 desc=\"No web processes running\" method=GET path=\"/\" host=shop.grid.test"
                        + " request_id=a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d fwd=\"203.0.113.9\" dyno=- connect=1ms service=3ms status=503 bytes=1234 protocol=http",
                request("/", "shop.grid.test", null, null, AccessLog.Error.H14, 503).line());
    }

    @Test
    void whatAClientSentCannotForgeALineOrAField() {
        String line = request("/x\" status=200 dyno=web.other\n2026 router: at=info", "evil host\r\nx=\"y", "web", "j", null, 404).line();
        assertFalse(line.contains("\n") || line.contains("\r"), line);
        assertTrue(line.contains("path=\"/x\\\" status=200 dyno=web.other\\x0a2026 router: at=info\""), line);
        assertTrue(line.contains("host=\"evil host\\x0d\\x0ax=\\\"y\""), line);
        // Every field the router wrote is there once, after what the client sent.
        assertTrue(line.endsWith("dyno=web.j connect=1ms service=3ms status=404 bytes=1234 protocol=http"), line);
        assertTrue(request("/é", "h", "web", "j", null, 200).line().contains("path=\"/\\xe9\""));
        assertTrue(request("/", null, "web", "j", null, 200).line().contains(" host=- "));
    }

    @Test
    void eachAppKeepsItsLastLinesOnly() {
        AccessLog log = new AccessLog(3);
        for (int i = 0; i < 5; i++) log.add("shop", request("/" + i, "h", "web", "w1", null, 200));
        log.add("blog", request("/b", "h", "web", "b1", null, 200));
        List<String> shop = log.lines("shop", null, -1);
        assertEquals(3, shop.size());
        assertTrue(shop.get(0).contains("path=\"/2\"") && shop.get(2).contains("path=\"/4\""), shop.toString());
        assertEquals(2, log.lines("shop", null, 2).size());
        assertTrue(log.lines("shop", null, 1).get(0).contains("path=\"/4\""));
        assertEquals(1, log.lines("blog", null, -1).size());
        assertEquals(List.of(), log.lines("nobody", null, -1));
        log.close();
    }

    @Test
    void psKeepsTheLinesOfAProcessTypeOrAJob() {
        AccessLog log = new AccessLog(10);
        log.add("shop", request("/a", "h", "web", "w1", null, 200));
        log.add("shop", request("/b", "h", "web", "w2", null, 200));
        log.add("shop", request("/c", "h", "api", "a1", null, 200));
        log.add("shop", request("/d", "h", null, null, AccessLog.Error.H14, 503));
        assertEquals(2, log.lines("shop", "web", -1).size());
        assertEquals(1, log.lines("shop", "w2", -1).size());
        assertEquals(1, log.lines("shop", "api", -1).size());
        assertEquals(4, log.lines("shop", null, -1).size());
        log.close();
    }

    @Test
    void anAppWithNoRouteLosesItsLinesSoALaterAppOfItsNameNeverSeesThem() {
        AccessLog log = new AccessLog(10);
        log.add("shop", request("/secret", "h", "web", "w1", null, 200));
        log.add("blog", request("/", "h", "web", "b1", null, 200));
        log.retain(Set.of("blog"));
        assertEquals(List.of(), log.lines("shop", null, -1));
        assertEquals(1, log.lines("blog", null, -1).size());
        log.close();
    }

    @Test
    void aFollowerGetsTheTailThenEveryNewLineOnce() throws Exception {
        AccessLog log = new AccessLog(100);
        log.add("shop", request("/old1", "h", "web", "w1", null, 200));
        log.add("shop", request("/old2", "h", "web", "w1", null, 200));
        List<String> got = new CopyOnWriteArrayList<>();
        var follower = log.follow("shop", "web", 1, got::add, () -> {});
        assertEquals(1, got.size());
        assertTrue(got.get(0).contains("/old2"));
        for (int i = 0; i < 50; i++) log.add("shop", request("/new" + i, "h", i % 2 == 0 ? "web" : "worker", "x", null, 200));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.size() < 26 && System.nanoTime() < deadline) Thread.sleep(20);
        Thread.sleep(3 * AccessLog.FOLLOW_EVERY_MS);
        assertEquals(26, got.size(), got.toString());
        assertTrue(got.get(1).contains("/new0\"") && got.get(25).contains("/new48\""), got.toString());
        follower.close();
        log.add("shop", request("/after", "h", "web", "w1", null, 200));
        Thread.sleep(3 * AccessLog.FOLLOW_EVERY_MS);
        assertEquals(26, got.size(), "nothing after close");
        log.close();
    }

    @Test
    void aFollowerOfAQuietAppGetsAnEmptyLineNowAndThenSoThatOneThatWentIsNoticed() throws Exception {
        AccessLog log = new AccessLog(10, 300);
        List<String> got = new CopyOnWriteArrayList<>();
        var follower = log.follow("idle", null, -1, got::add, () -> {});
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.size() < 2 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(List.of("", ""), got.subList(0, 2), "a heartbeat, an empty line no access line can be");
        got.clear();
        log.add("idle", request("/", "h", "web", "w1", null, 200));
        deadline = System.nanoTime() + 5_000_000_000L;
        while (got.stream().noneMatch(l -> !l.isEmpty()) && System.nanoTime() < deadline) Thread.sleep(20);
        List<String> lines = got.stream().filter(l -> !l.isEmpty()).toList();
        assertEquals(1, lines.size(), got.toString());
        assertTrue(lines.get(0).contains("path=\"/\""), lines.toString());
        follower.close();
        log.close();
    }
}
