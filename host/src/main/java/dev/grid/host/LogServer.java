package dev.grid.host;

import dev.grid.net.LineServer;
import java.io.IOException;
import java.util.function.Function;

/**
 * The host's own small HTTP API: {@code GET /jobs/ID/logs[?follow=true&tail=N&timestamps=true]}
 * streams a job's output as plain text, so the controller can serve logs of jobs on any host. With
 * {@code timestamps} each line begins with when Docker took it, as {@link LogTimes} writes times.
 * Only Grid's own parts may ask: a request without a live part's token is 401.
 */
final class LogServer implements AutoCloseable {
    private final LineServer server;

    LogServer(String address, int port, Function<String, String> containerOfJob, Docker docker, dev.grid.store.Credentials.Verifier verifier) throws IOException {
        server = new LineServer("host-logs", address, port, verifier, (path, query, onLine, onEnd) -> {
            String[] parts = path.split("/");
            if (parts.length != 4 || !"jobs".equals(parts[1]) || !"logs".equals(parts[3])) throw new LineServer.NotFound("not found: use GET /jobs/ID/logs");
            String container = containerOfJob.apply(parts[2]);
            if (container == null) throw new LineServer.NotFound("job " + parts[2] + " has no container on this host");
            boolean follow = Boolean.parseBoolean(query.getOrDefault("follow", "false"));
            int tail = LineServer.intParam(query, "tail", -1);
            boolean timestamps = Boolean.parseBoolean(query.getOrDefault("timestamps", "false"));
            return docker.logs(container, follow, tail, timestamps, onLine, onEnd);
        });
    }

    String url() {
        return server.url();
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
