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
        router.request("shop", 200, 3_000_000);
        router.request("shop", 200, 40_000_000);
        router.request("shop", 503, 1_000_000);
        router.request(null, 404, 100_000);
        router.request("shop", 42, 1_000); // no real status: counted, not lost
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
    void anAppsMetersGoWithItsLastRouteSoANewAppOfItsNameStartsFromNothing() {
        router.request("gone", 200, 1_000_000);
        router.request("kept", 200, 1_000_000);
        router.request(null, 404, 1_000_000);
        router.retainApps(Set.of("kept"));
        String s = metrics.scrape();
        assertFalse(s.contains("app=\"gone\""), s);
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", "kept", "status", "200"));
        assertEquals(1.0, Scrape.value(s, "grid_router_requests_total", "app", RouterMetrics.NO_APP), "unrouted requests are no app's to lose");
        router.request("gone", 500, 1_000_000);
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
