package dev.grid.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.grid.store.Store;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} for a Grid process without the API (a router-only or host-only machine),
 * on {@code GRID_METRICS_PORT}. Only the scrape token opens it ({@link ScrapeToken}); the port is
 * one of Grid's, so every host's firewall keeps apps from it.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;

    public MetricsServer(String address, int port, GridMetrics metrics, Store store) throws IOException {
        server = HttpServer.create(new InetSocketAddress(address, port), 16);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-server");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!"/metrics".equals(exchange.getRequestURI().getPath())) {
                    send(exchange, 404, "text/plain; charset=utf-8", "only /metrics is served here\n");
                } else if (!"GET".equals(exchange.getRequestMethod())) {
                    send(exchange, 405, "text/plain; charset=utf-8", "only GET is served here\n");
                } else if (!ScrapeToken.accepts(store, exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                    send(exchange, 401, "text/plain; charset=utf-8", UNAUTHORIZED);
                } else {
                    send(exchange, 200, GridMetrics.CONTENT_TYPE, metrics.scrape());
                }
            }
        });
        server.start();
    }

    /** What a scrape without the scrape token is told. */
    private static final String UNAUTHORIZED = "the scrape token is required: 'Authorization: Bearer TOKEN', with TOKEN from 'grid metrics:token'\n";

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
