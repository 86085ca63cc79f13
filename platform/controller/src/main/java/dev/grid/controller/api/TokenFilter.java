package dev.grid.controller.api;

import dev.grid.controller.ControllerConfig;
import dev.grid.metrics.ScrapeToken;
import dev.grid.store.Store;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Every request carries {@code Authorization: Bearer TOKEN}; only the health check is open, and
 * {@code GET /metrics} also takes the scrape token.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
public class TokenFilter {
    private final byte[] token;
    private final Store store;

    public TokenFilter(ControllerConfig config, Store store) {
        this.token = config.token().getBytes(StandardCharsets.UTF_8);
        this.store = store;
    }

    @RequestFilter
    @Nullable
    public HttpResponse<?> authenticate(HttpRequest<?> request) {
        if (request.getPath().equals("/health")) return null;
        String header = request.getHeaders().getAuthorization().orElse(null);
        if (header != null && header.startsWith("Bearer ")
                && MessageDigest.isEqual(header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8), token)) return null;
        // A scraper's token opens the scrape and nothing else (not even a new scrape token).
        if (request.getMethod() == io.micronaut.http.HttpMethod.GET && request.getPath().equals("/metrics") && ScrapeToken.accepts(store, header)) return null;
        if (header == null || !header.startsWith("Bearer ")) {
            return HttpResponse.unauthorized().body(Map.of("error", "no token: send 'Authorization: Bearer TOKEN' (the CLI reads it from GRID_HOME/cli.json)"));
        }
        return HttpResponse.unauthorized().body(Map.of("error", "wrong token: check GRID_TOKEN or GRID_HOME/cli.json"));
    }
}
