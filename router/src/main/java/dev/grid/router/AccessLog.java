package dev.grid.router;

import dev.grid.core.LogTimes;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The router's access lines: one per request that reached an app's route, kept per app in a ring
 * of the last {@link #LINES_PER_APP} (Heroku's Logplex keeps 1,500), in memory, so the storage is
 * bounded by the number of apps. A request is kept as the fields it had and written out as a line
 * only when someone reads it: the event loop that served it only stores a reference. The lines
 * are Heroku's router lines:
 *
 * <pre>
 * 2026-12-07T01:02:03.123456Z router: at=info method=GET path="/" host=shop.grid.local request_id=... fwd="203.0.113.9" dyno=web.shop-web-1a2b connect=0ms service=3ms status=200 bytes=1234 protocol=http
 * 2026-12-07T01:02:33.123456Z router: at=error code=H12 desc="Request timeout" method=GET path="/slow" ... status=503 ...
 * </pre>
 *
 * What a client sent (its path and Host) is quoted and escaped, so no request can forge a line or
 * a field. An app's lines go when it has no route any more: a later app of the same name never
 * sees them.
 */
public final class AccessLog implements AutoCloseable {
    public static final int LINES_PER_APP = 1500;
    /** How often a follower looks for new lines. */
    static final long FOLLOW_EVERY_MS = 100;
    /**
     * How long a follower goes without a line before it is sent an empty one: no access line is
     * empty, so the reader drops it, and writing it is how a follower that has gone is noticed
     * (otherwise one that followed an idle app would be kept for good).
     */
    static final long HEARTBEAT_MS = 10_000;

    /**
     * One request as the router saw it. {@code type} and {@code job} name the process that
     * answered (null if none did); {@code code} is an error's Heroku-style code (H12, ...) or null.
     */
    record Request(long epochMillis, String method, String path, String host, String requestId, String fwd, String type, String job,
                   Error error, int status, long bytes, long connectMicros, long serviceMicros, String protocol) {
        String line() {
            return LogTimes.formatMillis(epochMillis) + " router: " + fields();
        }

        /** The line's fields, after its time and source: what a log drain gets as the message. */
        String fields() {
            StringBuilder b = new StringBuilder(240).append("at=");
            if (error == null) {
                b.append("info");
            } else {
                b.append("error code=").append(error.code).append(" desc=\"").append(error.desc).append('"');
            }
            b.append(" method=").append(method);
            quoted(b.append(" path="), path);
            b.append(" host=");
            if (host == null) b.append('-');
            else if (plain(host)) b.append(host);
            else quoted(b, host);
            b.append(" request_id=").append(requestId == null ? "-" : requestId);
            quoted(b.append(" fwd="), fwd);
            b.append(" dyno=").append(job == null ? "-" : type + "." + job);
            b.append(" connect=").append(connectMicros / 1000).append("ms service=").append(serviceMicros / 1000).append("ms status=").append(status)
                    .append(" bytes=").append(bytes).append(" protocol=").append(protocol);
            return b.toString();
        }

        /** Whether the process {@code ps} names (a process type, or a job's id) answered this request. */
        boolean by(String ps) {
            return ps == null || ps.equals(type) || ps.equals(job);
        }
    }

    /** The router's own errors, with Heroku's codes where Heroku has one. */
    enum Error {
        H12("Request timeout"),
        H13("Connection closed without response"),
        H14("No web processes running"),
        H17("Poorly formatted HTTP response"),
        H18("Server Request Interrupted"),
        H21("Backend connection refused"),
        H27("Client Request Interrupted"),
        H80("Maintenance mode");

        final String code = name();
        final String desc;

        Error(String desc) {
            this.desc = desc;
        }
    }

    private static boolean plain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '_' || c == '[' || c == ']')) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    /** {@code "s"}, with quotes and backslashes escaped, and every control or non-ASCII character as \xNN or \\uNNNN. */
    static StringBuilder quoted(StringBuilder b, String s) {
        b.append('"');
        if (s != null) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c >= 0x20 && c < 0x7f) b.append(c);
                else if (c < 0x100) b.append(String.format("\\x%02x", (int) c));
                else b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.append('"');
    }

    /** The last requests of one app, oldest first. */
    static final class Ring {
        private final Request[] slots;
        /** How many were ever added: the next goes at {@code added % slots.length}. */
        private long added;

        Ring(int size) {
            slots = new Request[size];
        }

        synchronized void add(Request r) {
            slots[(int) (added++ % slots.length)] = r;
        }

        /** Adds to {@code into} those added at or after number {@code from} (as many as are still kept), oldest first; returns how many were ever added. */
        synchronized long since(long from, List<Request> into) {
            for (long i = Math.max(from, added - slots.length); i < added; i++) into.add(slots[(int) (i % slots.length)]);
            return added;
        }
    }

    private final int perApp;
    private final long heartbeatMs;
    private final ConcurrentHashMap<String, Ring> apps = new ConcurrentHashMap<>();
    private final ScheduledExecutorService followers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "router-access-log");
        t.setDaemon(true);
        return t;
    });

    public AccessLog() {
        this(LINES_PER_APP);
    }

    AccessLog(int perApp) {
        this(perApp, HEARTBEAT_MS);
    }

    AccessLog(int perApp, long heartbeatMs) {
        this.perApp = perApp;
        this.heartbeatMs = heartbeatMs;
    }

    void add(String app, Request r) {
        Ring ring = apps.get(app); // not computeIfAbsent first: its capturing lambda would be allocated per request
        if (ring == null) ring = apps.computeIfAbsent(app, a -> new Ring(perApp));
        ring.add(r);
        dev.grid.drains.Drains d = drains;
        if (d != null && d.wants(app)) d.send(app, LogTimes.formatMillis(r.epochMillis()), "grid", "router", r.fields());
    }

    private volatile dev.grid.drains.Drains drains;

    /** Sends each line of an app with a log drain to its drains too, as it is added. */
    public void drainTo(dev.grid.drains.Drains drains) {
        this.drains = drains;
    }

    /** Forgets the lines of every app not in {@code routed}: an app with no route gets no more, and a new app of its name must not see them. */
    void retain(Set<String> routed) {
        apps.keySet().retainAll(routed);
    }

    /** The app's last {@code tail} lines (all that are kept if negative) by the process {@code ps} names (any if null), oldest first. */
    public List<String> lines(String app, String ps, int tail) {
        List<Request> requests = new ArrayList<>();
        ringOf(app).since(0, requests);
        return lines(requests, ps, tail);
    }

    private static List<String> lines(List<Request> requests, String ps, int tail) {
        List<String> out = new ArrayList<>();
        for (Request r : requests) if (r.by(ps)) out.add(r.line());
        return tail >= 0 && out.size() > tail ? List.copyOf(out.subList(out.size() - tail, out.size())) : out;
    }

    /**
     * Gives the app's last {@code tail} lines by {@code ps}, then every new one as it comes
     * (looked for every {@value #FOLLOW_EVERY_MS} ms), and an empty line after {@value #HEARTBEAT_MS}
     * ms without one, until the result is closed. A follower that falls more than a ring behind
     * skips what it missed.
     */
    public Closeable follow(String app, String ps, int tail, Consumer<String> onLine, Runnable onEnd) {
        List<Request> first = new ArrayList<>();
        long[] seen = {ringOf(app).since(0, first)};
        lines(first, ps, tail).forEach(onLine);
        long[] quietSince = {System.nanoTime()};
        ScheduledFuture<?> task = followers.scheduleWithFixedDelay(() -> {
            Ring ring = ringOf(app);
            List<Request> fresh = new ArrayList<>();
            long added = ring.since(seen[0], fresh);
            if (added < seen[0]) { // the app's lines were dropped and began again
                fresh.clear();
                added = ring.since(0, fresh);
            }
            seen[0] = added;
            long now = System.nanoTime();
            for (Request r : fresh) {
                if (!r.by(ps)) continue;
                onLine.accept(r.line());
                quietSince[0] = now;
            }
            if (now - quietSince[0] >= TimeUnit.MILLISECONDS.toNanos(heartbeatMs)) {
                onLine.accept("");
                quietSince[0] = now;
            }
        }, FOLLOW_EVERY_MS, FOLLOW_EVERY_MS, TimeUnit.MILLISECONDS);
        return () -> {
            task.cancel(false);
            onEnd.run();
        };
    }

    private static final Ring EMPTY = new Ring(1);

    private Ring ringOf(String app) {
        return apps.getOrDefault(app, EMPTY);
    }

    /**
     * What a router's {@link dev.grid.net.LineServer} serves:
     * {@code GET /apps/APP/logs[?ps=TYPE|JOB&tail=N&follow=true]}.
     */
    public dev.grid.net.LineServer.Lines served() {
        return (path, query, onLine, onEnd) -> {
            String[] parts = path.split("/");
            if (parts.length != 4 || !"apps".equals(parts[1]) || !"logs".equals(parts[3])) {
                throw new dev.grid.net.LineServer.NotFound("not found: use GET /apps/APP/logs");
            }
            String ps = query.get("ps");
            int tail = dev.grid.net.LineServer.intParam(query, "tail", -1);
            if (Boolean.parseBoolean(query.getOrDefault("follow", "false"))) return follow(parts[2], ps, tail, onLine, onEnd);
            lines(parts[2], ps, tail).forEach(onLine);
            onEnd.run();
            return () -> {};
        };
    }

    @Override
    public void close() {
        followers.shutdownNow();
    }
}
