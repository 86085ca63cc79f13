package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 for clients on the router's TLS port, attacked and loaded as a client on the internet
 * would: what one client's streams can do to the router's memory, to its other streams, and to
 * other clients. The conformance of each answer is HttpConformanceTest's (its matrix runs every
 * case over HTTP/2 as well); this is about streams, windows and limits.
 */
class Http2Test {
    static final String HEADERS = "headers.h2.test", SLOW = "slow.h2.test", BIG = "big.h2.test", SINK = "sink.h2.test",
            SILENT = "silent.h2.test", COUNT = "count.h2.test";
    static final AtomicLong bigSent = new AtomicLong();
    /** The request lines the headers backend read. */
    static final java.util.Queue<String> HEADS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    static final AtomicInteger counted = new AtomicInteger();
    static final CountDownLatch sinkReads = new CountDownLatch(1);
    static final long BIG_SIZE = 128L << 20;

    @BeforeAll
    static void start() throws Exception {
        AbstractTcpRouteTest.start(Transport.choose(Transport.AUTO));
        Backends b = AbstractTcpRouteTest.backends;
        // Answers with the head it got, so a test sees what reached the app.
        b.raw("h2-headers", "headers", s -> {
            InputStream in = s.getInputStream();
            while (true) {
                String seen = Backends.readHead(in);
                HEADS.add(seen.substring(0, seen.indexOf('\r')));
                byte[] head = seen.getBytes(StandardCharsets.ISO_8859_1);
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + head.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(head);
                s.getOutputStream().flush();
            }
        });
        b.http("h2-slow", "slow", 1000);
        b.raw("h2-big", "big", s -> {
            Backends.readHead(s.getInputStream());
            AbstractRouterTest.sendCounting(s.getOutputStream(), "HTTP/1.1 200 OK\r\nContent-Length: " + BIG_SIZE + "\r\n\r\n", BIG_SIZE, bigSent);
            Backends.readHead(s.getInputStream());
        });
        // Reads a head, then nothing until told: its socket fills, and the router's side of it.
        b.raw("h2-sink", "sink", s -> {
            Backends.readHead(s.getInputStream());
            sinkReads.await();
            s.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        });
        b.raw("h2-silent", "silent", s -> {
            Backends.readHead(s.getInputStream());
            Thread.sleep(60_000); // never answers
        });
        b.raw("h2-count", "count", s -> {
            InputStream in = s.getInputStream();
            while (true) {
                Backends.readHead(in);
                counted.incrementAndGet();
                Thread.sleep(200);
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
        });
        for (String[] r : new String[][] {{"h2-headers", HEADERS}, {"h2-slow", SLOW}, {"h2-big", BIG}, {"h2-sink", SINK}, {"h2-silent", SILENT},
                {"h2-count", COUNT}}) {
            AbstractTcpRouteTest.route(Route.http(r[0], r[1], "/", r[0]));
        }
        AbstractRouterTest.awaitFetch(SLOW, "/", "slow /");
    }

    @AfterAll
    static void stop() throws Exception {
        sinkReads.countDown();
        AbstractTcpRouteTest.stop();
    }

    static int port() {
        return AbstractTcpRouteTest.router.httpsPort();
    }

    @Test
    void aClientThatOffersH2GetsItAndOneThatDoesNotGetsHttp11OnTheSamePort() throws Exception {
        Curl.Result h2 = Curl.https(port(), HEADERS, "/seen?x=1", "--http2");
        assertEquals(0, h2.exit(), h2.toString());
        assertEquals("2", h2.version(), h2.toString());
        String seen = new String(h2.body(), StandardCharsets.ISO_8859_1);
        assertTrue(seen.startsWith("GET /seen?x=1 HTTP/1.1\r\n"), "HTTP/2 becomes HTTP/1.1 to the app: " + seen);
        assertTrue(seen.toLowerCase().contains("\r\nhost: " + HEADERS + "\r\n"), ":authority becomes Host: " + seen);
        assertTrue(seen.toLowerCase().contains("x-forwarded-proto: https"), seen);
        assertTrue(seen.toLowerCase().contains("via: 2 grid"), "Via names the protocol the request came by: " + seen);
        assertFalse(seen.toLowerCase().contains("x-http2-"), "Netty's own mapping headers stay in the router: " + seen);

        Curl.Result h1 = Curl.https(port(), HEADERS, "/seen", "--http1.1");
        assertEquals(0, h1.exit(), h1.toString());
        assertEquals("1.1", h1.version(), "a client that does not offer h2 gets HTTP/1.1: " + h1);
        assertTrue(new String(h1.body(), StandardCharsets.ISO_8859_1).toLowerCase().contains("via: 1.1 grid"));
    }

    @Test
    void streamsAreMultiplexedOnOneConnection() throws Exception {
        try (H2 c = H2.connect(port(), SLOW)) {
            long start = System.nanoTime();
            for (int i = 0; i < 10; i++) c.request(1 + 2 * i, "GET", SLOW, "/" + i, true);
            c.flush();
            Set<Integer> done = new HashSet<>();
            Map<Integer, Integer> status = new HashMap<>();
            while (done.size() < 10) {
                H2.Frame f = c.read();
                assertNotNull(f, "the connection ended with " + done.size() + " of 10 answers");
                if (f.type() == H2.HEADERS) status.put(f.stream(), c.status(f));
                if ((f.type() == H2.DATA || f.type() == H2.HEADERS) && f.endStream()) done.add(f.stream());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Set.of(200), new HashSet<>(status.values()), status.toString());
            // Ten answers of one second each, on one connection: side by side, not one after another (10 s).
            assertTrue(ms < 6000, "10 streams of a 1 s backend took " + ms + " ms");
        }
    }

    @Test
    void nghttpGetsTenAnswersOnOneConnectionAndTheRoutersSettings() throws Exception {
        // nghttp (Debian's nghttp2-client) repeats the request 10 times on one connection, -v shows the frames.
        Process p = new ProcessBuilder("nghttp", "-nv", "-m", "10", "-H", ":authority: " + HEADERS, "https://127.0.0.1:" + port() + "/n")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "nghttp ended");
        assertEquals(0, p.exitValue(), out);
        assertEquals(10, out.split(":status: 200", -1).length - 1, "10 answers: " + out);
        assertEquals(1, out.split("Connected", -1).length - 1, "on one connection: " + out);
        assertTrue(out.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100"), out);
        assertTrue(out.contains("SETTINGS_MAX_HEADER_LIST_SIZE(0x06):" + RouterConfig.MAX_HEADER_BYTES), out);
    }

    @Test
    void theRoutersLimitsAreAdvertisedAndKept() throws Exception {
        try (H2 c = H2.connect(port(), SLOW)) {
            int streams = Http2Frontend.MAX_CONCURRENT_STREAMS + 1;
            for (int i = 0; i < streams; i++) c.request(1 + 2 * i, "GET", SLOW, "/" + i, true);
            c.flush();
            Map<Integer, Integer> status = new HashMap<>();
            Map<Integer, Integer> resets = new HashMap<>();
            while (status.size() + resets.size() < streams) {
                H2.Frame f = c.read();
                assertNotNull(f, "the connection ended");
                if (f.type() == H2.HEADERS) status.put(f.stream(), c.status(f));
                if (f.type() == H2.RST_STREAM) resets.put(f.stream(), f.errorCode());
            }
            assertEquals(100L, c.serverSettings.get(3), "SETTINGS_MAX_CONCURRENT_STREAMS: " + c.serverSettings);
            assertEquals((long) Http2Frontend.STREAM_WINDOW, c.serverSettings.get(4), "SETTINGS_INITIAL_WINDOW_SIZE");
            assertEquals((long) RouterConfig.MAX_HEADER_BYTES, c.serverSettings.get(6), "SETTINGS_MAX_HEADER_LIST_SIZE");
            assertEquals(Map.of(1 + 2 * (streams - 1), H2.REFUSED_STREAM), resets, "the stream past the limit is refused, and only it");
            assertEquals(Http2Frontend.MAX_CONCURRENT_STREAMS, status.size());
        }
        // A header list past the limit: 431, as over HTTP/1.1, and the router serves on.
        Curl.Result big = Curl.https(port(), HEADERS, "/", "--http2", "-H", "X-Big: " + "x".repeat(RouterConfig.MAX_HEADER_BYTES + 100));
        assertEquals(431, big.response().status(), big.toString());
        assertEquals(0, Curl.https(port(), HEADERS, "/", "--http2").exit());
    }

    @Test
    void aConnectionSpecificHeaderMakesTheRequestMalformed() throws Exception {
        // RFC 9113 8.2.2: over HTTP/2, Connection (and what it would name) is malformed; it never reaches the app.
        try (H2 c = H2.connect(port(), HEADERS)) {
            c.request(1, "GET", HEADERS, "/", true, "connection", "x-secret", "x-secret", "1");
            c.request(3, "GET", HEADERS, "/", true, "transfer-encoding", "chunked");
            c.request(5, "GET", HEADERS, "/fine", true);
            c.flush();
            Map<Integer, Integer> resets = new HashMap<>();
            Integer fine = null;
            while (fine == null) {
                H2.Frame f = c.read();
                assertNotNull(f, "the connection ended");
                if (f.type() == H2.RST_STREAM) resets.put(f.stream(), f.errorCode());
                if (f.type() == H2.HEADERS && f.stream() == 5) fine = c.status(f);
                assertFalse(f.type() == H2.HEADERS && f.stream() != 5, "a malformed request was answered: stream " + f.stream());
            }
            assertEquals(200, fine);
            assertEquals(Map.of(1, 1, 3, 1), resets, "both malformed streams reset with PROTOCOL_ERROR");
        }
    }

    @Test
    void aBodyLongerThanItsContentLengthIsRefusedBeforeItCanSmuggleARequest() throws Exception {
        // The HTTP/2-to-HTTP/1.1 desync: the app would take Content-Length's 5 bytes as the body and
        // the rest as a second request on the router's pooled connection. Netty checks the length
        // against the DATA (RFC 9113 8.1.1): the stream is reset and the app sees no second request.
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: " + HEADERS + "\r\n\r\n";
        try (H2 c = H2.connect(port(), HEADERS)) {
            c.request(1, "POST", HEADERS, "/short", false, "content-length", "5");
            c.frame(H2.DATA, H2.END_STREAM, 1, ("12345" + smuggled).getBytes(StandardCharsets.US_ASCII));
            c.request(3, "GET", HEADERS, "/after", true);
            c.flush();
            Map<Integer, Integer> resets = new HashMap<>();
            String after = null;
            while (after == null) {
                H2.Frame f = c.read();
                assertNotNull(f, "the connection ended");
                if (f.type() == H2.RST_STREAM) resets.put(f.stream(), f.errorCode());
                assertFalse(f.type() == H2.HEADERS && f.stream() == 1, "the over-long request was answered");
                if (f.type() == H2.DATA && f.stream() == 3) after = new String(f.payload(), StandardCharsets.ISO_8859_1);
            }
            assertEquals(java.util.Set.of(1), resets.keySet(), "the stream whose body overran its length is reset");
            assertTrue(after.startsWith("GET /after "), after);
            Thread.sleep(300);
            assertFalse(HEADS.stream().anyMatch(h -> h.contains("/smuggled")), "no smuggled request reached the app: " + HEADS);
        }
    }

    @Test
    void aClientThatDoesNotReadSlowsTheAppInsteadOfFillingTheRouter() throws Exception {
        try (H2 c = H2.connect(port(), BIG)) {
            c.request(1, "GET", BIG, "/", true);
            c.flush();
            Thread.sleep(2000); // reading frames but granting no window beyond the first 65,535 bytes
            long early = bigSent.get();
            assertTrue(early < 32L << 20, "the app could send only what the sockets' buffers and the router's hold: " + (early >> 20) + " MB");
            assertEquals(0, Curl.https(port(), HEADERS, "/", "--http2").exit(), "others are served meanwhile");
            c.windowUpdate(0, Integer.MAX_VALUE - 65_535);
            c.windowUpdate(1, Integer.MAX_VALUE - 65_535);
            c.flush();
            long got = 0;
            for (H2.Frame f; (f = c.read()) != null; ) {
                if (f.type() == H2.DATA && f.stream() == 1) got += f.payload().length;
                if (f.stream() == 1 && f.endStream()) break;
            }
            assertEquals(BIG_SIZE, got, "once the window opens, the whole answer arrives");
        }
    }

    @Test
    void oneStalledUploadDoesNotHoldUpTheOthers() throws Exception {
        try (H2 c = H2.connect(port(), SINK)) {
            c.startReader();
            // Uploads to an app that reads nothing: once the sockets to the app are full, each stream
            // stalls, with up to its window (64 KiB) unread in the router: three of them hold more than
            // HTTP/2's default connection window (65,535 bytes), which would stall every other upload.
            // (All within the body timeout, 3 s here, after which the router resets a stalled stream.)
            java.util.List<CompletableFuture<Boolean>> stalls = new java.util.ArrayList<>();
            for (int stream : new int[] {1, 5, 7}) {
                c.request(stream, "POST", SINK, "/", false);
                c.flush();
                stalls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return c.send(stream, 256L << 20, true, Duration.ofMillis(700));
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }));
            }
            for (CompletableFuture<Boolean> stall : stalls) assertFalse(stall.get(10, TimeUnit.SECONDS), "the upload to an app that does not read stalls");
            c.request(9, "POST", HEADERS, "/other", false);
            c.flush();
            assertTrue(c.send(9, 1 << 20, true, Duration.ofMillis(1500)), "a 1 MB upload on the same connection goes through meanwhile: " + c.stalled);
            for (H2.Frame f; ; ) {
                f = c.next(Duration.ofSeconds(10));
                assertNotNull(f, "no answer to the other upload");
                assertTrue(f.type() != -1, "the connection ended");
                if (f.type() == H2.HEADERS && f.stream() == 9) {
                    assertEquals(200, c.status(f));
                    break;
                }
            }
        } finally {
            sinkReads.countDown();
        }
    }

    @Test
    void anAppThatAnswersBeforeTheBodyEndsLetsTheClientFinishIt() throws Exception {
        // The app answers on the head; the router drops the rest of the body, but must go on
        // reading it (and granting window) even if it had paused for a backend that was full.
        try (H2 c = H2.connect(port(), HEADERS)) {
            c.startReader();
            for (int stream = 1; stream <= 9; stream += 2) {
                c.request(stream, "POST", HEADERS, "/early", false);
                c.flush();
                assertTrue(c.send(stream, 8L << 20, true, Duration.ofSeconds(5)), "stream " + stream + ": " + c.stalled);
            }
        }
    }

    @Test
    void theAnswerTimeoutEndsOnlyItsStream() throws Exception {
        try (H2 c = H2.connect(port(), SILENT)) {
            c.request(1, "GET", SILENT, "/", true);
            c.request(3, "GET", HEADERS, "/", true);
            c.flush();
            Map<Integer, Integer> status = new HashMap<>();
            long start = System.nanoTime();
            while (!status.containsKey(1)) {
                H2.Frame f = c.read();
                assertNotNull(f, "the connection ended");
                if (f.type() == H2.HEADERS) status.put(f.stream(), c.status(f));
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Map.of(1, 503, 3, 200), status, "the silent app's stream gets 503 (H12), the other its answer");
            assertTrue(ms >= AbstractTcpRouteTest.RESPONSE_TIMEOUT.toMillis() - 200, "after the answer timeout: " + ms + " ms");
            // The connection still serves.
            c.request(5, "GET", HEADERS, "/after", true);
            c.flush();
            for (H2.Frame f; ; ) {
                f = c.read();
                assertNotNull(f, "the connection ended after the timeout");
                if (f.type() == H2.HEADERS && f.stream() == 5) {
                    assertEquals(200, c.status(f));
                    break;
                }
            }
        }
    }

    @Test
    void rapidResetIsBoundedAndEndsTheConnection() throws Exception {
        int before = counted.get();
        int sent = 0;
        H2.Frame goaway = null;
        try (H2 c = H2.connect(port(), COUNT)) {
            // The router's answers are read while the attack goes on: the GOAWAY must be read before the
            // router's close resets the connection (it closes with our frames still unread, and a reset
            // discards what this side had not read yet: CI lost the GOAWAY that way).
            java.util.concurrent.atomic.AtomicReference<H2.Frame> seen = new java.util.concurrent.atomic.AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    for (H2.Frame f; (f = c.read()) != null; ) {
                        if (f.type() == H2.GOAWAY) {
                            seen.set(f);
                            return;
                        }
                    }
                } catch (IOException ended) {
                    // the connection is gone: whatever was read is in seen
                }
            }, "h2-reader");
            reader.start();
            // CVE-2023-44487: open a stream and cancel it at once, as fast as the socket takes it.
            try {
                for (int i = 0; i < 1000 && seen.get() == null; i++) {
                    c.request(1 + 2 * i, "GET", COUNT, "/" + i, true);
                    c.reset(1 + 2 * i, H2.CANCEL);
                    sent++;
                    if (i % 50 == 49) c.flush();
                }
                c.flush();
            } catch (IOException closed) {
                // the router has had enough
            }
            reader.join(10_000);
            goaway = seen.get();
        } catch (IOException closedWhileClosing) {
            // seen below: the router ended the connection
        }
        assertNotNull(goaway, "the router ends a connection that resets streams past the limit (" + sent + " sent)");
        assertEquals(H2.ENHANCE_YOUR_CALM, goaway.errorCode());
        Thread.sleep(500);
        int reached = counted.get() - before;
        assertTrue(reached <= Http2Frontend.MAX_RESETS + Http2Frontend.MAX_CONCURRENT_STREAMS,
                "the app saw " + reached + " of " + sent + " reset requests");
        assertEquals(0, Curl.https(port(), HEADERS, "/", "--http2").exit(), "other clients are served");
    }
}
