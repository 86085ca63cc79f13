package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import dev.grid.discovery.Discovery;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The router against real servers on loopback, with routes and backends in a real
 * etcd; each subclass starts it on one transport, with TCP routes on the relay.
 */
abstract class AbstractRouterTest extends AbstractTcpRouteTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static HttpResponse<String> get(String host, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.httpPort() + path)).timeout(Duration.ofSeconds(5));
        // The JDK client will not set Host itself; the router sees the one in the URI unless we go raw.
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A raw HTTP/1.1 exchange, so the Host header is ours. */
    static String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", router.httpPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static String fetch(String host, String path) throws IOException {
        String r = raw("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
        return r.substring(0, r.indexOf("\r\n")) + " | " + r.substring(r.indexOf("\r\n\r\n") + 4);
    }

    static String awaitFetch(String host, String path, String expect) {
        return awaitFetch(host, path, Duration.ofSeconds(5), s -> s.contains(expect));
    }

    static String awaitFetch(String host, String path, Duration within, java.util.function.Predicate<String> ok) {
        return Eventually.await(host + path + " to answer as expected", within, () -> {
            try {
                return fetch(host, path);
            } catch (IOException e) {
                return e.toString();
            }
        }, ok);
    }

    @Test
    void routesByHostWildcardAndPathPrefix() throws Exception {
        backends.http("t1-shop", "shop", 0);
        backends.http("t1-api", "api", 0);
        backends.http("t1-wild", "wild", 0);
        route(Route.http("t1-shop", "shop.t1.test", "/", "t1-shop"));
        route(Route.http("t1-api", "shop.t1.test", "/api", "t1-api"));
        route(Route.http("t1-wild", "*.t1.test", "/", "t1-wild"));
        awaitFetch("shop.t1.test", "/", "shop /");
        awaitFetch("shop.t1.test", "/api", "api /api");
        awaitFetch("blog.t1.test", "/", "wild /");
        assertEquals("HTTP/1.1 200 OK | api /api/users?x=1", fetch("shop.t1.test", "/api/users?x=1"));
        assertEquals("HTTP/1.1 200 OK | shop /apix", fetch("SHOP.t1.test:80", "/apix"));
        assertEquals("HTTP/1.1 200 OK | wild /", fetch("blog.t1.test", "/"));
    }

    @Test
    void noRouteIs404AndNoBackendIs503WithAClearBody() throws Exception {
        route(Route.http("t2-empty", "empty.t2.test", "/", "t2-nobody"));
        awaitFetch("empty.t2.test", "/", "503");
        assertEquals("HTTP/1.1 503 Service Unavailable | 503 Service Unavailable: no backend is up for service 't2-nobody'\n", fetch("empty.t2.test", "/"));
        assertEquals("HTTP/1.1 404 Not Found | 404 Not Found: no route for host 'nowhere.t2.test' and path '/x'\n", fetch("nowhere.t2.test", "/x"));
    }

    @Test
    void everyRequestToAnAppLeavesOneAccessLineInThatAppsLogOnly() throws Exception {
        backends.http("t30shop.web", "one", 0);
        route(Route.http("t30-shop", "shop.t30.test", "/", "t30shop.web"));
        route(Route.http("t30-down", "down.t30.test", "/", "t30down.web"));
        awaitFetch("shop.t30.test", "/", "one /");
        int before = router.accessLog().lines("t30shop", null, -1).size();
        String answer = raw("GET /cart?q=\"x\" HTTP/1.1\r\nHost: shop.t30.test\r\nX-Request-Id: t30-request-0123456789abcdef\r\nConnection: close\r\n\r\n");
        String status = answer.substring(9, 12); // the backend's own answer to a path it finds odd, passed on
        java.util.List<String> lines = Eventually.await("the request's line", Duration.ofSeconds(2),
                () -> router.accessLog().lines("t30shop", null, -1), l -> l.size() == before + 1);
        String line = lines.get(lines.size() - 1);
        int body = answer.length() - answer.indexOf("\r\n\r\n") - 4;
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z router: at=info method=GET path=\"/cart\\?q=\\\\\"x\\\\\"\" host=shop.t30.test"
                + " request_id=t30-request-0123456789abcdef fwd=\"127.0.0.1\" dyno=web.one connect=\\d+ms service=\\d+ms status=" + status + " bytes=" + body + " protocol=http"), line);
        assertEquals(1, router.accessLog().lines("t30shop", "one", 1).size());
        assertEquals(0, router.accessLog().lines("t30shop", "worker", -1).size(), "another process type answered none");

        assertTrue(fetch("down.t30.test", "/").startsWith("HTTP/1.1 503"));
        String down = Eventually.await("the 503's line", Duration.ofSeconds(2), () -> router.accessLog().lines("t30down", null, -1), l -> !l.isEmpty()).get(0);
        assertTrue(down.contains(" router: at=error code=H14 desc=\"No web processes running\" method=GET path=\"/\" host=down.t30.test")
                && down.contains(" dyno=- ") && down.contains(" status=503 "), down);
        fetch("nowhere.t30.test", "/");
        assertEquals(java.util.List.of(), router.accessLog().lines("nowhere", null, -1), "a request no route took is no app's");
    }

    @Test
    void anAppInMaintenanceIsAnswered503WithAPageAndItsOtherAppsAreNot() throws Exception {
        backends.http("t31shop.web", "shop", 0);
        backends.http("t31blog.web", "blog", 0);
        route(Route.http("t31-shop", "shop.t31.test", "/", "t31shop.web"));
        route(Route.http("t31-blog", "blog.t31.test", "/", "t31blog.web"));
        awaitFetch("shop.t31.test", "/", "shop /");
        store.put(Keys.maintenance("t31shop"), Map.of("since", "now"));
        String page = Eventually.await("the maintenance page", Duration.ofSeconds(5),
                () -> {
                    try {
                        return raw("GET /cart HTTP/1.1\r\nHost: shop.t31.test\r\nConnection: close\r\n\r\n");
                    } catch (IOException e) {
                        return e.toString();
                    }
                }, r -> r.startsWith("HTTP/1.1 503"));
        assertTrue(page.contains("\r\nX-Grid-Maintenance: the app is in maintenance mode") && page.contains("content-type: text/html")
                && page.contains("<h1>Down for maintenance</h1>"), page);
        assertEquals("HTTP/1.1 200 OK | blog /", fetch("blog.t31.test", "/"), "another app is served as before");
        String line = Eventually.await("its access line", Duration.ofSeconds(2), () -> router.accessLog().lines("t31shop", null, 1), l -> !l.isEmpty()).get(0);
        assertTrue(line.contains("at=error code=H80 desc=\"Maintenance mode\" method=GET path=\"/cart\"") && line.contains(" status=503 "), line);
        store.delete(Keys.maintenance("t31shop"));
        awaitFetch("shop.t31.test", "/", "shop /");
    }

    @Test
    void forwardedHeadersAndRequestId() throws Exception {
        backends.http("t3", "b", 0);
        route(Route.http("t3", "127.0.0.1", "/t3", "t3"));
        awaitFetch("127.0.0.1", "/t3", "b /t3");
        HttpResponse<String> r = get(null, "/t3", Map.of("X-Forwarded-For", "203.0.113.9"));
        assertEquals(200, r.statusCode());
        assertEquals("203.0.113.9, 127.0.0.1", r.headers().firstValue("X-Seen-Forwarded-For").orElseThrow());
        assertEquals("http", r.headers().firstValue("X-Seen-Forwarded-Proto").orElseThrow());
        assertEquals(String.valueOf(router.httpPort()), r.headers().firstValue("X-Seen-Forwarded-Port").orElseThrow());
        assertTrue(r.headers().firstValue("X-Seen-Request-Start").orElseThrow().startsWith("t="));
        String generated = r.headers().firstValue("X-Seen-Request-Id").orElseThrow();
        assertEquals(36, generated.length(), generated);

        String mine = "abcdefghijklmnopqrstuvwxyz-0123456789";
        assertEquals(mine, get(null, "/t3", Map.of("X-Request-Id", mine)).headers().firstValue("X-Seen-Request-Id").orElseThrow(), "a valid id is kept");
        String bad = get(null, "/t3", Map.of("X-Request-Id", "short")).headers().firstValue("X-Seen-Request-Id").orElseThrow();
        assertNotEquals("short", bad, "an invalid id is replaced");
    }

    @Test
    void keepAliveSpreadsOverBackendsAndAConnectFailureIsRetriedElsewhere() throws Exception {
        backends.http("t4", "one", 0);
        backends.http("t4", "two", 0);
        backends.register("t4", "dead", Backends.deadPort());
        route(Route.http("t4", "spread.t4.test", "/", "t4"));
        awaitFetch("spread.t4.test", "/", " /");
        Map<String, Integer> seen = new HashMap<>();
        StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < 60; i++) pipeline.append("GET /").append(i).append(" HTTP/1.1\r\nHost: spread.t4.test\r\n\r\n");
        pipeline.append("GET /last HTTP/1.1\r\nHost: spread.t4.test\r\nConnection: close\r\n\r\n");
        String all = raw(pipeline.toString()); // one keep-alive connection, requests pipelined
        int ok = 0;
        for (String part : all.split("HTTP/1.1 ")) {
            if (part.isEmpty()) continue;
            assertTrue(part.startsWith("200 OK"), "every request succeeds even with a dead backend registered: " + part);
            ok++;
            String body = part.substring(part.indexOf("\r\n\r\n") + 4);
            seen.merge(body.substring(0, body.indexOf(' ')), 1, Integer::sum);
        }
        assertEquals(61, ok);
        assertTrue(seen.getOrDefault("one", 0) > 5 && seen.getOrDefault("two", 0) > 5, "both live backends serve: " + seen);
        assertNull(seen.get("dead"));
    }

    /**
     * A loop's pooled connections to an app are reused oldest first, so requests spread over
     * all of them (and so over the processes that accepted them), and one idle past
     * {@link BackendPool#MAX_IDLE_NANOS} is closed instead of reused, before the app's own
     * keep-alive timeout can close it under a request. The app answers each request with the
     * port of the connection it came on.
     */
    @Test
    void pooledConnectionsAreReusedOldestFirstAndNotAfterASecondIdle() throws Exception {
        int held = 4; // two requests at once on each of the router's two loops: each loop pools two connections
        java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(held);
        com.sun.net.httpserver.HttpServer app = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        app.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        app.createContext("/", ex -> {
            try (ex) {
                if (ex.getRequestURI().getPath().equals("/hold")) {
                    together.countDown();
                    together.await(5, java.util.concurrent.TimeUnit.SECONDS);
                }
                byte[] body = String.valueOf(ex.getRemoteAddress().getPort()).getBytes(StandardCharsets.US_ASCII);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        app.start();
        List<Socket> clients = new ArrayList<>();
        try {
            backends.register("tpool", "a", app.getAddress().getPort());
            route(Route.http("tpool", "pool.tpool.test", "/", "tpool"));
            awaitFetch("pool.tpool.test", "/", "");
            Thread.sleep(1_200); // what awaitFetch left in the pools is past reuse now
            for (int i = 0; i < held; i++) {
                Socket c = client();
                clients.add(c);
                sendGet(c, "pool.tpool.test", "/hold");
            }
            Set<String> opened = new HashSet<>();
            for (Socket c : clients) {
                Wire.Response r = Wire.readOne(c.getInputStream(), "GET");
                assertEquals(200, r.status(), r.text());
                opened.add(r.text());
            }
            assertEquals(held, opened.size(), "each held request had a connection of its own: " + opened);
            Socket c = clients.get(0);
            List<String> ports = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sendGet(c, "pool.tpool.test", "/next");
                ports.add(Wire.readOne(c.getInputStream(), "GET").text());
            }
            assertTrue(opened.containsAll(ports), "pooled connections are reused: " + ports + " of " + opened);
            assertEquals(2, new HashSet<>(ports).size(), "one client's requests in turn take its loop's two pooled connections: " + ports);
            assertTrue(!ports.get(0).equals(ports.get(1)) && ports.get(0).equals(ports.get(2)), "oldest first, alternating: " + ports);
            Thread.sleep(1_200);
            sendGet(c, "pool.tpool.test", "/later");
            String later = Wire.readOne(c.getInputStream(), "GET").text();
            assertFalse(opened.contains(later), "after a second idle a new connection, not " + later + " of " + opened);
        } finally {
            for (Socket c : clients) c.close();
            app.stop(0);
        }
    }

    /** Writes a keep-alive GET on a client connection of the test's own. */
    static void sendGet(Socket client, String host, String path) throws IOException {
        client.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void routeChangesApplyLiveAndAFinishedBackendDrains() throws Exception {
        var slow = backends.http("t5", "slow", 1500);
        route(Route.http("t5", "drain.t5.test", "/", "t5"));
        awaitFetch("drain.t5.test", "/", "slow /");
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return fetch("drain.t5.test", "/long");
            } catch (IOException e) {
                return e.toString();
            }
        });
        Eventually.sleep(300);
        backends.http("t5", "fresh", 0);
        backends.deregister("t5", "slow");
        awaitFetch("drain.t5.test", "/", "fresh /");
        assertEquals("HTTP/1.1 200 OK | slow /long", inFlight.get(5, TimeUnit.SECONDS), "the removed backend finished its request");
        for (int i = 0; i < 5; i++) assertEquals("HTTP/1.1 200 OK | fresh /", fetch("drain.t5.test", "/"));

        // A new route is live as soon as the watch delivers it; measured by polling every 5 ms.
        Instant added = Instant.now();
        route(Route.http("t5-new", "new.t5.test", "/", "t5"));
        String answer = "";
        while (!answer.contains("fresh /") && Duration.between(added, Instant.now()).toMillis() < 2000) {
            answer = fetch("new.t5.test", "/");
            if (!answer.contains("fresh /")) Eventually.sleep(5);
        }
        long ms = Duration.between(added, Instant.now()).toMillis();
        System.out.println("new route live after " + ms + " ms");
        assertEquals("HTTP/1.1 200 OK | fresh /", answer);
        slow.stop(0);
    }

    @Test
    void malformedHugeAndSlowClientsAreAnsweredAndOthersKeepBeingServed() throws Exception {
        backends.http("t6", "ok", 0);
        route(Route.http("t6", "guard.t6.test", "/", "t6"));
        awaitFetch("guard.t6.test", "/", "ok /");
        assertTrue(raw("GARBAGE\r\n\r\n").startsWith("HTTP/1.1 400 Bad Request"));
        String huge = "GET / HTTP/1.1\r\nHost: guard.t6.test\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n";
        assertTrue(raw(huge).startsWith("HTTP/1.1 431 Request Header Fields Too Large"));
        assertTrue(raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: guard.t6.test\r\n\r\n").startsWith("HTTP/1.1 414"));
        assertTrue(raw("POST / HTTP/1.1\r\nHost: guard.t6.test\r\nContent-Length: 100000000\r\n\r\n").startsWith("HTTP/1.1 413 Request Entity Too Large"));

        // Slowloris: a header byte every 300 ms never completes the head; the router answers 408 after 2 s.
        try (Socket slow = new Socket("127.0.0.1", router.httpPort())) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: guard.t6.test\r\n".getBytes(StandardCharsets.US_ASCII));
            Instant start = Instant.now();
            String answer = null;
            for (int i = 0; i < 30 && answer == null; i++) {
                try {
                    out.write('X');
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                assertEquals("HTTP/1.1 200 OK | ok /", fetch("guard.t6.test", "/"), "others are served meanwhile");
                Eventually.sleep(300);
                if (slow.getInputStream().available() > 0) answer = new BufferedReader(new InputStreamReader(slow.getInputStream())).readLine();
            }
            if (answer == null) answer = new BufferedReader(new InputStreamReader(slow.getInputStream())).readLine();
            assertEquals("HTTP/1.1 408 Request Timeout", answer);
            long ms = Duration.between(start, Instant.now()).toMillis();
            assertTrue(ms >= 1500 && ms < 6000, "closed after the header timeout: " + ms + " ms");
        }
        assertEquals("HTTP/1.1 200 OK | ok /", fetch("guard.t6.test", "/"));
    }

    /** A client of the router with a small receive buffer, so that what it does not read stays upstream. */
    static Socket client() throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(64 << 10);
        s.setSendBufferSize(64 << 10);
        s.connect(new InetSocketAddress("127.0.0.1", router.httpPort()));
        s.setSoTimeout(20_000);
        return s;
    }

    /** Writes {@code head}, then {@code size} bytes in 64 KiB pieces, counting in {@code sent} what the socket took. */
    static void sendCounting(OutputStream out, String head, long size, java.util.concurrent.atomic.AtomicLong sent) throws IOException {
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = new byte[64 << 10];
        for (long n = 0; n < size; n += chunk.length) {
            out.write(chunk);
            sent.addAndGet(chunk.length);
        }
        out.flush();
    }

    @Test
    void aClientThatDoesNotReadSlowsTheAppInsteadOfFillingTheRouter() throws Exception {
        long size = 128L << 20;
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        backends.raw("t10", "big", s -> {
            Backends.readHead(s.getInputStream());
            sendCounting(s.getOutputStream(), "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n", size, sent);
            Backends.readHead(s.getInputStream()); // holds the connection until the router lets go
        });
        backends.http("t10-other", "other", 0);
        route(Route.http("t10", "big.t10.test", "/", "t10"));
        route(Route.http("t10-other", "other.t10.test", "/", "t10-other"));
        awaitFetch("other.t10.test", "/", "other /");
        try (Socket c = client()) {
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: big.t10.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Eventually.sleep(2000); // not reading
            long early = sent.get();
            assertTrue(early < 32L << 20, "the app could send only what the sockets' buffers and the router's hold: " + (early >> 20) + " MB");
            assertEquals("HTTP/1.1 200 OK | other /", fetch("other.t10.test", "/"), "others are served meanwhile");
            InputStream in = c.getInputStream();
            assertEquals("HTTP/1.1 200 OK", readLine(in));
            while (!readLine(in).isEmpty()) { /* headers */ }
            byte[] buf = new byte[1 << 16];
            long got = 0;
            for (int n; got < size && (n = in.read(buf)) != -1; ) got += n;
            assertEquals(size, got, "once read, the whole answer arrives");
        }
    }

    @Test
    void anAppThatDoesNotReadSlowsTheUploadInsteadOfFillingTheRouter() throws Exception {
        long size = 60L << 20;
        java.util.concurrent.CountDownLatch read = new java.util.concurrent.CountDownLatch(1);
        backends.raw("t11", "sink", s -> {
            InputStream in = s.getInputStream();
            Backends.readHead(in);
            read.await();
            long got = 0;
            byte[] buf = new byte[1 << 16];
            for (int n; got < size && (n = in.read(buf)) != -1; ) got += n;
            byte[] body = ("got " + got).getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            Backends.readHead(in);
        });
        route(Route.http("t11", "sink.t11.test", "/", "t11"));
        backends.http("t11-other", "other", 0);
        route(Route.http("t11-other", "other.t11.test", "/", "t11-other"));
        awaitFetch("other.t11.test", "/", "other /");
        try (Socket c = client()) {
            java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
            Thread uploader = new Thread(() -> {
                try {
                    sendCounting(c.getOutputStream(), "POST / HTTP/1.1\r\nHost: sink.t11.test\r\nContent-Length: " + size + "\r\n\r\n", size, written);
                } catch (IOException ignored) {
                    // seen by the assertions
                }
            });
            uploader.start();
            Eventually.sleep(2000); // the app reads nothing yet
            long early = written.get();
            assertTrue(early < 32L << 20, "the client could send only what the sockets' buffers and the router's hold: " + (early >> 20) + " MB");
            assertEquals("HTTP/1.1 200 OK | other /", fetch("other.t11.test", "/"), "others are served meanwhile");
            read.countDown();
            uploader.join(20_000);
            assertEquals(size, written.get());
            InputStream in = c.getInputStream();
            assertEquals("HTTP/1.1 200 OK", readLine(in));
            while (!readLine(in).isEmpty()) { /* headers */ }
            assertEquals("got " + size, new String(in.readNBytes(("got " + size).length()), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aChunkedBodyPastTheLimitIs413() throws Exception {
        backends.http("t12", "sink", 0);
        route(Route.http("t12", "chunked.t12.test", "/", "t12"));
        awaitFetch("chunked.t12.test", "/", "sink /");
        try (Socket c = client()) {
            Thread uploader = new Thread(() -> {
                try {
                    OutputStream out = c.getOutputStream();
                    out.write("POST / HTTP/1.1\r\nHost: chunked.t12.test\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[1 << 20];
                    byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 80; i++) {
                        out.write(size);
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closedByTheRouter) {
                    // expected once it has answered
                }
            });
            uploader.start();
            String status = readLine(c.getInputStream());
            assertEquals("HTTP/1.1 413 Request Entity Too Large", status, "80 MB of chunks, over the 64 MB limit");
            uploader.join(20_000);
        }
        assertEquals("HTTP/1.1 200 OK | sink /", fetch("chunked.t12.test", "/"));
    }

    @Test
    void aCloseDelimitedAnswerIsChunkedToAnHttp11ClientAndEndsTheConnectionOfAnHttp10One() throws Exception {
        backends.raw("t17", "old", s -> {
            Backends.readHead(s.getInputStream());
            s.getOutputStream().write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe whole body".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush(); // and closes: its body ends with the connection, as busybox httpd's does
        });
        route(Route.http("t17", "old.t17.test", "/", "t17"));
        awaitFetch("old.t17.test", "/", Duration.ofSeconds(5), r -> r.contains("the whole body"));
        try (Socket c = client()) {
            InputStream in = c.getInputStream();
            for (int round = 0; round < 2; round++) { // one keep-alive connection, twice: each answer's end is seen
                c.getOutputStream().write("GET / HTTP/1.1\r\nHost: old.t17.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 OK", readLine(in));
                java.util.List<String> headers = new java.util.ArrayList<>();
                for (String h; !(h = readLine(in)).isEmpty(); ) headers.add(h.toLowerCase());
                assertTrue(headers.contains("transfer-encoding: chunked"), headers.toString());
                StringBuilder body = new StringBuilder();
                for (int size; (size = Integer.parseInt(readLine(in).trim(), 16)) > 0; ) {
                    body.append(new String(in.readNBytes(size), StandardCharsets.US_ASCII));
                    readLine(in);
                }
                assertEquals("", readLine(in), "the last chunk ends the answer");
                assertEquals("the whole body", body.toString());
            }
        }
        try (Socket c = client()) {
            c.getOutputStream().write("GET / HTTP/1.0\r\nHost: old.t17.test\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String all = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1); // returns: the router closes
            assertTrue(all.endsWith("\r\n\r\nthe whole body") && !all.toLowerCase().contains("chunked"), all);
        }
    }

    @Test
    void requestsFramedTwoWaysAreRefusedBeforeTheAppSeesAnyOfThem() throws Exception {
        java.util.List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        backends.raw("t18", "app", s -> {
            InputStream in = s.getInputStream();
            while (true) {
                String head = Backends.readHead(in);
                seen.add(head);
                String lower = head.toLowerCase();
                if (lower.contains("transfer-encoding: chunked")) {
                    for (int size; (size = Integer.parseInt(readLine(in).trim().split(";")[0], 16)) > 0; ) {
                        in.readNBytes(size);
                        readLine(in);
                    }
                    while (!readLine(in).isEmpty()) { /* trailers */ }
                } else if (lower.contains("content-length: ")) {
                    int i = lower.indexOf("content-length: ") + 16;
                    in.readNBytes(Integer.parseInt(lower.substring(i, lower.indexOf('\r', i)).trim()));
                }
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
        });
        route(Route.http("t18", "smuggle.t18.test", "/", "t18"));
        awaitFetch("smuggle.t18.test", "/", Duration.ofSeconds(5), r -> r.endsWith("ok"));
        String[] attacks = {
                // RFC 9112 6.3: Transfer-Encoding and Content-Length both
                "POST / HTTP/1.1\r\nHost: smuggle.t18.test\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: smuggle.t18.test\r\n\r\n",
                // two Content-Lengths that disagree
                "POST / HTTP/1.1\r\nHost: smuggle.t18.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: smuggle.t18.test\r\n\r\n",
                // an obfuscated Transfer-Encoding
                "POST / HTTP/1.1\r\nHost: smuggle.t18.test\r\nTransfer-Encoding: xchunked\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: smuggle.t18.test\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: smuggle.t18.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: smuggle.t18.test\r\n\r\n"};
        for (String attack : attacks) {
            seen.clear();
            String answer;
            try (Socket c = client()) {
                c.setSoTimeout(5000);
                c.getOutputStream().write(attack.getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (java.net.SocketTimeoutException e) {
                answer = "timeout";
            }
            String what = attack.substring(0, attack.indexOf("\r\n\r\n"));
            assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request") && answer.toLowerCase().contains("connection: close"), what + " => " + answer);
            assertEquals(java.util.List.of(), seen, "the app got nothing of it, and no smuggled request: " + what);
        }
        assertEquals("HTTP/1.1 200 OK | ok", fetch("smuggle.t18.test", "/"), "and serves what is well framed");
    }

    @Test
    void expect100ContinueIsPassedOnAndTheFinalAnswerFollows() throws Exception {
        backends.raw("t13", "cont", s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = Backends.readHead(in);
                if (head.toLowerCase().contains("expect: 100-continue")) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                int length = head.toLowerCase().contains("content-length: 5") ? 5 : 0;
                String body = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
                byte[] answer = ("got " + body).getBytes(StandardCharsets.US_ASCII);
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(answer);
                out.flush();
            }
        });
        route(Route.http("t13", "continue.t13.test", "/", "t13"));
        try (Socket c = client()) {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            awaitFetch("continue.t13.test", "/", Duration.ofSeconds(5), r -> !r.startsWith("HTTP/1.1 404") && !r.startsWith("HTTP/1.1 503"));
            for (int round = 0; round < 2; round++) { // twice on one connection: the 100 did not end the exchange
                out.write("POST / HTTP/1.1\r\nHost: continue.t13.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals("HTTP/1.1 100 Continue", readLine(in), "the 100 comes before the body is sent");
                assertEquals("", readLine(in));
                out.write(("hell" + round).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals("HTTP/1.1 200 OK", readLine(in));
                String line;
                int length = -1;
                while (!(line = readLine(in)).isEmpty()) if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
                assertEquals("got hell" + round, new String(in.readNBytes(length), StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void anAppThatDoesNotAnswerIs503AfterTheResponseTimeoutAndAStalledBodyIsCut() throws Exception {
        backends.raw("t14", "mute", s -> {
            InputStream in = s.getInputStream();
            String head = Backends.readHead(in);
            if (head.startsWith("GET /stall")) {
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            Backends.readHead(in); // then silence, until the router lets go
        });
        route(Route.http("t14", "mute.t14.test", "/", "t14"));
        awaitFetch("mute.t14.test", "/x", Duration.ofSeconds(15), r -> r.contains("H12"));
        Instant start = Instant.now();
        String answer = fetch("mute.t14.test", "/");
        long ms = Duration.between(start, Instant.now()).toMillis();
        assertTrue(answer.startsWith("HTTP/1.1 503 Service Unavailable | 503 Service Unavailable: the app did not answer within 3 s (H12"), answer);
        assertTrue(ms >= 2500 && ms < 8000, "after the response timeout: " + ms + " ms");
        route(Route.http("t14-fast", "fast.t14.test", "/", "t14").withTimeout(1)); // an app's own timeout (routes:timeout)
        awaitFetch("fast.t14.test", "/x", Duration.ofSeconds(15), r -> r.contains("within 1 s"));
        start = Instant.now();
        answer = fetch("fast.t14.test", "/");
        ms = Duration.between(start, Instant.now()).toMillis();
        assertTrue(answer.contains("the app did not answer within 1 s (H12"), answer);
        assertTrue(ms >= 800 && ms < 2500, "after the route's own timeout, before the router's: " + ms + " ms");

        try (Socket c = client()) {
            c.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: mute.t14.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            start = Instant.now();
            String got = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            ms = Duration.between(start, Instant.now()).toMillis();
            assertTrue(got.startsWith("HTTP/1.1 200 OK") && got.endsWith("partial"), got);
            assertTrue(ms >= 2500 && ms < 8000, "a body that stalls is cut after the body timeout: " + ms + " ms");
        }
    }

    @Test
    void webSocketUpgradeRelaysFramesBothWays() throws Exception {
        EventLoopGroup group = transport.group(1);
        Channel server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new WebSocketServerProtocolHandler("/ws"),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                        ctx.writeAndFlush(new TextWebSocketFrame("echo:" + f.text()));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        try {
            backends.register("t7", "ws", ((InetSocketAddress) server.localAddress()).getPort());
            route(Route.http("t7", "127.0.0.1", "/ws", "t7"));
            Eventually.await("the ws route", Duration.ofSeconds(5), () -> {
                try {
                    return fetch("127.0.0.1", "/ws");
                } catch (IOException e) {
                    return e.toString();
                }
            }, s -> !s.contains("404") && !s.contains("503"));
            CompletableFuture<String> received = new CompletableFuture<>();
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + router.httpPort() + "/ws"), new WebSocket.Listener() {
                final StringBuilder text = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                    text.append(data);
                    if (last && text.toString().contains("echo:two")) received.complete(text.toString());
                    webSocket.request(1);
                    return null;
                }
            }).get(5, TimeUnit.SECONDS);
            ws.sendText("one", true).get(5, TimeUnit.SECONDS);
            ws.sendText("two", true).get(5, TimeUnit.SECONDS);
            assertEquals("echo:oneecho:two", received.get(5, TimeUnit.SECONDS));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        } finally {
            server.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** `grid down` then `grid up` in one process: the new router binds the ports the old one had. */
    @Test
    void aClosedRouterHasLetGoOfItsPorts() throws Exception {
        // The first takes ports the kernel gives it (held until its close: no other socket can take
        // them meanwhile, as one could a port picked and let go before); the next two take the same.
        Router first = new Router(store, config(0, 0, 1, TcpDatapath.PROXY)).start();
        int http = first.httpPort();
        int https = first.httpsPort();
        first.close();
        for (int i = 0; i < 5; i++) {
            // Free the moment close returns: a plain socket binds them with no retry (the router's own bind retries
            // for 5 s, which hid a listener whose close was still queued on its loop).
            for (int port : new int[] {http, https}) {
                try (java.net.ServerSocket plain = new java.net.ServerSocket()) {
                    plain.setReuseAddress(true);
                    plain.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                }
            }
            Router next = new Router(store, config(http, https, 1, TcpDatapath.PROXY)).start();
            try (javax.net.ssl.SSLSocket t = (javax.net.ssl.SSLSocket) trustingAnything().getSocketFactory().createSocket("127.0.0.1", https)) {
                t.setSoTimeout(5000);
                t.startHandshake(); // a served TLS connection, as a router that is restarted has had
            }
            next.close();
        }
    }

    /** A TLS client context that takes any certificate (the router's default is self-signed). */
    static javax.net.ssl.SSLContext trustingAnything() throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
            public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    /** Connects with TLS, naming {@code sni}, trusting anything; returns the served certificate's subject and the HTTP answer. */
    static String[] tls(String sni, String path) throws Exception {
        javax.net.ssl.SSLContext ctx = trustingAnything();
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", router.httpsPort())) {
            var params = s.getSSLParameters();
            params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(sni)));
            s.setSSLParameters(params);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            var peer = (java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0];
            return new String[] {peer.getSubjectX500Principal().getName(), answer};
        }
    }

    @Test
    void tlsIsTerminatedWithTheCertificateNamedBySni() throws Exception {
        backends.http("t9", "secure", 0);
        route(Route.http("t9", "secure.t9.test", "/", "t9"));
        route(Route.http("t9-other", "other.t9.test", "/", "t9"));
        var self = new io.netty.handler.ssl.util.SelfSignedCertificate("secure.t9.test");
        store.put(Keys.cert("secure.t9.test"), new dev.grid.core.Certificate("secure.t9.test",
                java.nio.file.Files.readString(self.certificate().toPath()), java.nio.file.Files.readString(self.privateKey().toPath()),
                self.cert().getNotAfter().toInstant(), Instant.now()));
        String[] secure = Eventually.await("the domain's own certificate", Duration.ofSeconds(5), () -> {
            try {
                return tls("secure.t9.test", "/");
            } catch (Exception e) {
                return new String[] {e.toString(), ""};
            }
        }, r -> r[0].equals("CN=secure.t9.test"));
        assertTrue(secure[1].startsWith("HTTP/1.1 200 OK"), secure[1]);
        assertTrue(secure[1].contains("X-Seen-Forwarded-Proto: https") || secure[1].toLowerCase().contains("x-seen-forwarded-proto: https"), secure[1]);
        assertEquals("CN=grid.default", tls("other.t9.test", "/")[0], "a name without its own certificate gets the default");
        assertTrue(tls("other.t9.test", "/")[1].startsWith("HTTP/1.1 200 OK"));
    }
}
