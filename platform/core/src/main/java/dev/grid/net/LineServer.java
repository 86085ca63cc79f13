package dev.grid.net;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.grid.store.Credentials;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A part's small HTTP API that streams lines of text to Grid's other parts: {@code GET PATH?QUERY}
 * answers with the lines {@link Lines} gives, and with {@code follow=true} stays open for new
 * ones. A host serves its jobs' output this way, a router its access lines. Only Grid's own parts
 * may ask: a request without a live part's token is 401.
 */
public final class LineServer implements AutoCloseable {
    /** What a path names. */
    public interface Lines {
        /**
         * Starts giving the lines {@code path} names, each to {@code onLine}, then runs {@code onEnd}
         * (once, when they end or fail); the result stops it early. Throws {@link NotFound} if the path
         * names nothing.
         */
        Closeable open(String path, Map<String, String> query, Consumer<String> onLine, Runnable onEnd) throws NotFound;
    }

    /** The path names nothing here; the message says what does. */
    public static final class NotFound extends Exception {
        public NotFound(String message) {
            super(message, null, false, false);
        }
    }

    private final HttpServer server;
    private final String url;

    public LineServer(String threadName, String address, int port, Credentials.Verifier verifier, Lines lines) throws IOException {
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                if (verifier.refuses(exchange)) return;
                if (!"GET".equals(exchange.getRequestMethod())) {
                    send(exchange, 405, "only GET is served here\n");
                    return;
                }
                stream(exchange, lines);
            }
        });
        server.start();
        url = "http://" + address + ":" + server.getAddress().getPort();
    }

    private static void stream(HttpExchange exchange, Lines lines) throws IOException {
        OutputStream out = exchange.getResponseBody();
        CountDownLatch done = new CountDownLatch(1);
        boolean[] started = {false};
        Closeable stream;
        try {
            stream = lines.open(exchange.getRequestURI().getPath(), query(exchange.getRequestURI().getRawQuery()), line -> {
                try {
                    synchronized (started) {
                        if (!started[0]) {
                            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                            exchange.sendResponseHeaders(200, 0);
                            started[0] = true;
                        }
                    }
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException clientGone) {
                    done.countDown();
                }
            }, done::countDown);
        } catch (NotFound e) {
            send(exchange, 404, e.getMessage() + "\n");
            return;
        } catch (IllegalArgumentException e) {
            send(exchange, 400, e.getMessage() + "\n");
            return;
        }
        try {
            synchronized (started) {
                if (!started[0]) { // no line yet: the head goes now, so that a follower is not kept waiting for one
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                    exchange.sendResponseHeaders(200, 0);
                    started[0] = true;
                }
            }
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stream.close();
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) return q;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) q.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    /** A query's {@code name} as a number, or {@code otherwise} without one; an invalid one is a 400. */
    public static int intParam(Map<String, String> query, String name, int otherwise) {
        String v = query.get(name);
        if (v == null) return otherwise;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, not '" + v + "'");
        }
    }

    public String url() {
        return url;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
