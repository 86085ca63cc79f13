package dev.grid.host;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
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
import java.util.function.Function;

/**
 * The host's own small HTTP API: {@code GET /jobs/ID/logs[?follow=true&tail=N]}
 * streams a job's output as plain text, so the controller can serve logs of jobs
 * on any host. Only Grid's own parts may ask: a request without a live part's token is 401.
 */
final class LogServer implements AutoCloseable {
    private final HttpServer server;
    private final String url;

    LogServer(String address, int port, Function<String, String> containerOfJob, Docker docker, dev.grid.store.Credentials.Verifier verifier) throws IOException {
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "host-logs");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/jobs/", exchange -> {
            try (exchange) {
                if (!verifier.accepts(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                    send(exchange, 401, "a Grid part's credential is required\n");
                    return;
                }
                String[] parts = exchange.getRequestURI().getPath().split("/");
                if (parts.length != 4 || !"logs".equals(parts[3]) || !"GET".equals(exchange.getRequestMethod())) {
                    send(exchange, 404, "not found: use GET /jobs/ID/logs\n");
                    return;
                }
                String container = containerOfJob.apply(parts[2]);
                if (container == null) {
                    send(exchange, 404, "job " + parts[2] + " has no container on this host\n");
                    return;
                }
                Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
                boolean follow = Boolean.parseBoolean(q.getOrDefault("follow", "false"));
                int tail = Integer.parseInt(q.getOrDefault("tail", "-1"));
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                CountDownLatch done = new CountDownLatch(1);
                Closeable stream = docker.logs(container, follow, tail, line -> {
                    try {
                        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    } catch (IOException clientGone) {
                        done.countDown();
                    }
                }, done::countDown);
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    stream.close();
                }
            }
        });
        server.start();
        url = "http://" + address + ":" + server.getAddress().getPort();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) return q;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) q.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    String url() {
        return url;
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
