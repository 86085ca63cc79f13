package dev.grid.controller.api;

import dev.grid.metrics.GridMetrics;
import dev.grid.metrics.ScrapeToken;
import dev.grid.store.Store;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.Map;

/**
 * This process's metrics for Prometheus ({@code GET /metrics}, opened by the operator's token or
 * the scrape token: {@link TokenFilter}), and the scrape token itself ({@code POST /metrics/token},
 * the operator's only).
 */
@Controller("/metrics")
public class MetricsController {
    private final GridMetrics metrics;
    private final Store store;

    public MetricsController(GridMetrics metrics, Store store) {
        this.metrics = metrics;
        this.store = store;
    }

    @Get
    public HttpResponse<String> scrape() {
        return HttpResponse.ok(metrics.scrape()).header("Content-Type", GridMetrics.CONTENT_TYPE);
    }

    /** A new scrape token; the one before it stops working at once. */
    @Post("/token")
    public Map<String, String> token() {
        return Map.of("token", ScrapeToken.mint(store));
    }
}
