package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import dev.grid.metrics.GridMetrics;
import dev.grid.testing.Scrape;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterMetricsTest {
    private final GridMetrics metrics = new GridMetrics();
    private final RouterMetrics router = new RouterMetrics(metrics.registry());

    @Test
    void requestsAreCountedByAppAndStatusWithTheirLatencyInBuckets() {
        router.request("shop.web", 200, 3_000_000);
        router.request("shop.web", 200, 40_000_000);
        router.request("shop.web", 503, 1_000_000);
        router.request(null, 404, 100_000);
        router.request("shop.api", 42, 1_000); // another service of the app; no real status: counted, not lost
        String s = metrics.scrape();
        assertEquals(2.0, Scrape.value(s, "grid_router_requests_total", "app", "shop", "status", "200"), s);
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", "shop", "status", "503"));
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", "shop", "status", "other"));
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", RouterMetrics.NO_APP, "status", "404"), "unrouted, under no app");
        assertEquals(4.0, Scrape.value(s, "grid_router_request_duration_seconds_count", "app", "shop"));
        assertEquals(3.0, Scrape.value(s, "grid_router_request_duration_seconds_bucket", "app", "shop", "le", "0.005"), "3 ms, 1 ms, 1 µs");
        assertEquals(4.0, Scrape.value(s, "grid_router_request_duration_seconds_bucket", "app", "shop", "le", "0.05"), "and 40 ms");
        assertEquals(4.0, Scrape.value(s, "grid_router_request_duration_seconds_bucket", "app", "shop", "le", "+Inf"));
    }

    @Test
    void recordingARequestAllocatesNothingOnceItsMetersExist() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int[] statuses = {200, 200, 404, 503, 301};
        for (int i = 0; i < 20_000; i++) router.request((i & 1) == 0 ? "shop.web" : null, statuses[i % statuses.length], 1_000_000L + i);
        int n = 200_000;
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) router.request((i & 1) == 0 ? "shop.web" : null, statuses[i % statuses.length], 1_000_000L + i);
        double perRequest = (double) (threads.getCurrentThreadAllocatedBytes() - before) / n;
        // The router records every request on its event loops: a lambda or a boxed number each time would be 16 bytes.
        assertTrue(perRequest < 1, perRequest + " bytes per request");
    }

    @Test
    void anAppsMetersGoWithItsLastRouteSoANewAppOfItsNameStartsFromNothing() {
        router.request("gone.web", 200, 1_000_000);
        router.request("kept.web", 200, 1_000_000);
        router.request(null, 404, 1_000_000);
        router.retainApps(Set.of("kept"));
        String s = metrics.scrape();
        assertFalse(s.contains("app=\"gone\""), s);
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", "kept", "status", "200"));
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", RouterMetrics.NO_APP), "unrouted requests are no app's to lose");
        router.request("gone.web", 500, 1_000_000);
        s = metrics.scrape();
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", "gone", "status", "500"));
        assertTrue(Double.isNaN(Scrape.value(s, "grid_router_requests_total", "app", "gone", "status", "200")), s);
    }

    @Test
    void tcpRoutesCountConnectionsByPathAndBytesByDirection() {
        Route route = Route.tcp("r1", 30001, "kv.redis", true);
        RouterMetrics.TcpMeters m = router.tcp(route);
        m.relayed.increment();
        m.refused.increment(2);
        m.bytesIn.increment(100);
        m.bytesOut.increment(7);
        m.kernelAccepted.addAndGet(5);
        String s = metrics.scrape();
        assertEquals(1.0, Scrape.value(s, "grid_router_tcp_connections_total", "route", "r1", "app", "kv", "path", "relay", "outcome", "accepted"), s);
        assertEquals(2.0, Scrape.value(s, "grid_router_tcp_connections_total", "route", "r1", "path", "relay", "outcome", "refused"));
        assertEquals(5.0, Scrape.value(s, "grid_router_tcp_connections_total", "route", "r1", "path", "kernel", "outcome", "accepted"));
        assertEquals(100.0, Scrape.value(s, "grid_router_tcp_bytes_total", "route", "r1", "direction", "in"));
        assertEquals(7.0, Scrape.value(s, "grid_router_tcp_bytes_total", "route", "r1", "direction", "out"));
        router.retainRoutes(Set.of());
        assertFalse(metrics.scrape().contains("route=\"r1\""), "a removed route's meters go");
    }
}
