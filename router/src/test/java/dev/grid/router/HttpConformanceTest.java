package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The router's HTTP/1.x conformance matrix (RFC 9110, RFC 9112): each backend behaviour below,
 * from an HTTP/1.1 keep-alive client and from an HTTP/1.0 client. Every response must be framed
 * so that its client knows where it ends (a truncated one must never look complete), and the
 * client's connection must be reused or closed as the RFCs say: after each response the test
 * either asks again on the same connection or sees it end. The backend is scripted (it says
 * exactly what the case needs, which no real server does on demand); RealBackendsTest runs real
 * servers.
 */
class HttpConformanceTest {
    static final String HOST = "conf.test";

    @BeforeAll
    static void start() throws Exception {
        AbstractTcpRouteTest.start(Transport.choose(Transport.AUTO));
        AbstractTcpRouteTest.backends.raw("conf", "conf", HttpConformanceTest::serve);
        AbstractTcpRouteTest.route(Route.http("conf", HOST, "/", "conf"));
        AbstractRouterTest.awaitFetch(HOST, "/probe", "probe");
    }

    @AfterAll
    static void stop() throws Exception {
        AbstractTcpRouteTest.stop();
    }

    /** What a backend got: its request line, its headers and its body. */
    record Request(String line, String method, String path, List<String[]> headers, byte[] body) {
        String header(String name) {
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
            return null;
        }
    }

    /** A case's backend side: answers {@code req} on the connection; false to close it after. */
    interface Script {
        boolean answer(Request req, InputStream in, OutputStream out) throws Exception;
    }

    /** A case's client side, when it is more than "send the request, read one response". */
    interface Client {
        Wire.Response exchange(Socket s, InputStream in, String version, String head) throws Exception;
    }

    /** What the case expects of the final response, from a client of {@code version}. */
    interface Expect {
        void check(Wire.Response r, String version) throws Exception;
    }

    record Case(String name, String method, String requestHeaders, String requestBody, Script script, Expect expect, Client client,
                boolean truncated, boolean http10, boolean http2) {
        Case(String name, String method, Script script, Expect expect) {
            this(name, method, "", "", script, expect, null, false, true, true);
        }

        Case withRequest(String headers, String body) {
            return new Case(name, method, headers, body, script, expect, client, truncated, http10, http2);
        }

        Case withClient(Client c) {
            return new Case(name, method, requestHeaders, requestBody, script, expect, c, truncated, http10, http2);
        }

        Case truncatedAnswer() {
            return new Case(name, method, requestHeaders, requestBody, script, expect, client, true, http10, http2);
        }

        /** A behaviour of HTTP/1.1's connections (an upgrade, pipelining): not asked of HTTP/1.0 or HTTP/2 clients. */
        Case http11Only() {
            return new Case(name, method, requestHeaders, requestBody, script, expect, client, truncated, false, false);
        }
    }

    static final List<Case> CASES = new ArrayList<>();
    /** The request each case's backend got last, by the case's index. */
    static final Map<Integer, Request> SEEN = new ConcurrentHashMap<>();

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static Script answer(String wire, boolean keep) {
        return (req, in, out) -> {
            out.write(ascii(wire));
            out.flush();
            return keep;
        };
    }

    static Expect body(int status, String body) {
        return (r, v) -> {
            assertEquals(status, r.status(), r.toString());
            assertEquals(body, r.text(), r.toString());
        };
    }

    static {
        String longBody = "0123456789".repeat(2000);
        CASES.add(new Case("a close-delimited HTTP/1.1 response", "GET",
                answer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + longBody, false), body(200, longBody)));
        CASES.add(new Case("an HTTP/1.0 backend without keep-alive", "GET",
                answer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold and plain", false), body(200, "old and plain")));
        CASES.add(new Case("an HTTP/1.0 backend with keep-alive", "GET",
                answer("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 10\r\n\r\nkept alive", true), body(200, "kept alive")));
        CASES.add(new Case("a chunked body with trailers", "GET",
                answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n", true),
                (r, v) -> {
                    body(200, "hello world").check(r, v);
                    if (!v.equals("1.0")) {
                        assertEquals(1, r.trailers().size(), "the trailer reaches the client: " + r);
                        assertTrue("X-Checksum".equalsIgnoreCase(r.trailers().get(0)[0]), r.toString());
                        assertEquals("42", r.trailers().get(0)[1]);
                    }
                }));
        CASES.add(new Case("a chunked body with chunk extensions", "GET",
                answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6;a;b=\"c d\"\r\n world\r\n0;last\r\n\r\n", true),
                body(200, "hello world")));
        CASES.add(new Case("HEAD with a Content-Length and no body", "HEAD",
                answer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", true), (r, v) -> {
                    assertEquals(200, r.status());
                    assertEquals("1000", r.header("Content-Length"), "HEAD says the length GET would have: " + r);
                }));
        CASES.add(new Case("204 without a Content-Length", "GET", answer("HTTP/1.1 204 No Content\r\n\r\n", true), body(204, "")));
        CASES.add(new Case("204 with Content-Length 0", "GET", answer("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", true), body(204, "")));
        CASES.add(new Case("304 with the representation's Content-Length", "GET",
                answer("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 1234\r\n\r\n", true), body(304, "")));
        CASES.add(new Case("304 without a Content-Length", "GET", answer("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n", true), body(304, "")));
        CASES.add(new Case("103 Early Hints before the answer", "GET",
                answer("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhints", true),
                (r, v) -> {
                    body(200, "hints").check(r, v);
                    if (!v.equals("1.0")) {
                        assertEquals(1, r.interim().size(), "a proxy forwards 1xx (RFC 9110 15.2): " + r);
                        assertEquals(103, r.interim().get(0).status());
                        assertEquals("</style.css>; rel=preload", r.interim().get(0).header("Link"));
                    }
                }));
        CASES.add(new Case("Expect: 100-continue", "POST", (req, in, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + (4 + req.body().length) + "\r\n\r\ngot " + new String(req.body(), StandardCharsets.ISO_8859_1)));
            out.flush();
            return true;
        }, body(200, "got 12345")).withRequest("Expect: 100-continue\r\n", "12345").withClient((s, in, v, head) -> {
            OutputStream out = s.getOutputStream();
            out.write(ascii(head));
            out.flush();
            if (v.equals("1.1")) {
                Wire.Response interim = Wire.readOne(in, "POST");
                assertEquals(100, interim.status(), "the client waits for 100 before its body: " + interim);
            }
            out.write(ascii("12345"));
            out.flush();
            return Wire.read(in, "POST");
        }));
        CASES.add(new Case("a refused upgrade", "GET",
                answer("HTTP/1.1 400 Bad Request\r\nContent-Length: 10\r\n\r\nno upgrade", true), body(400, "no upgrade"))
                .withRequest("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""));
        CASES.add(new Case("101 Switching Protocols to a WebSocket", "GET", (req, in, out) -> {
            out.write(ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
            out.flush();
            byte[] ping = in.readNBytes(4);
            out.write(ping);
            out.flush();
            return false;
        }, (r, v) -> assertEquals(101, r.status(), r.toString()))
                .withRequest("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")
                .withClient((s, in, v, head) -> {
                    s.getOutputStream().write(ascii(head));
                    Wire.Response r = Wire.read(in, "GET");
                    s.getOutputStream().write(ascii("ping"));
                    assertEquals("ping", new String(in.readNBytes(4), StandardCharsets.ISO_8859_1), "the bytes after 101 go both ways");
                    return r;
                }).http11Only());
        CASES.add(new Case("pipelined requests, answered in order", "GET", (req, in, out) -> {
            String n = req.path().substring(req.path().indexOf('?') + 1);
            if (n.equals("1")) Thread.sleep(300); // the first is slower: its answer must still come first
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + n.length() + "\r\n\r\n" + n));
            out.flush();
            return true;
        }, body(200, "2")).withClient((s, in, v, head) -> {
            String first = head.replaceFirst(" (/c/\\d+) ", " $1?1 ");
            String second = head.replaceFirst(" (/c/\\d+) ", " $1?2 ");
            if (v.equals("1.0")) return null; // HTTP/1.0 has no pipelining without keep-alive
            s.getOutputStream().write(ascii(first + second));
            Wire.Response one = Wire.read(in, "GET");
            assertEquals("1", one.text(), "the first request's answer first: " + one);
            return Wire.read(in, "GET");
        }).http11Only());
        CASES.add(new Case("a backend that closes mid-body (Content-Length)", "GET",
                answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly forty bytes of the hundred promised", false),
                (r, v) -> assertEquals(200, r.status(), r.toString())).truncatedAnswer());
        CASES.add(new Case("a backend that closes mid-body (chunked)", "GET",
                answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n wor", false),
                (r, v) -> assertEquals(200, r.status(), r.toString())).truncatedAnswer());
        CASES.add(new Case("a malformed status line", "GET", answer("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok", false), badGateway()));
        CASES.add(new Case("an invalid header name", "GET", answer("HTTP/1.1 200 OK\r\nX-Bad\"Name: x\r\nContent-Length: 2\r\n\r\nok", false), badGateway()));
        CASES.add(new Case("whitespace between a header name and its colon", "GET",
                answer("HTTP/1.1 200 OK\r\nX-Spaced : x\r\nContent-Length: 2\r\n\r\nok", true), (r, v) -> {
                    body(200, "ok").check(r, v);
                    assertEquals("x", r.header("X-Spaced"), "a proxy removes the whitespace before passing it on (RFC 9112 5.1): " + r);
                }));
        CASES.add(new Case("a header value with a bare CR", "GET", answer("HTTP/1.1 200 OK\r\nX-Split: a\rInjected: b\r\nContent-Length: 2\r\n\r\nok", false),
                badGateway()));
        CASES.add(new Case("an oversized response head", "GET", answer("HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(70_000) + "\r\nContent-Length: 2\r\n\r\nok", false),
                badGateway()));
        CASES.add(new Case("hop-by-hop headers, both ways", "GET",
                answer("HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: secret\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok", true),
                (r, v) -> {
                    body(200, "ok").check(r, v);
                    assertNull(r.header("X-Internal"), "a header the backend's Connection names stays between it and the router: " + r);
                    assertNull(r.header("Keep-Alive"), r.toString());
                    assertNotNull(r.header("Via"), "the router says it is there (RFC 9110 7.6.3): " + r);
                    Request seen = SEEN.get(indexOf("hop-by-hop headers, both ways"));
                    // (HTTP/2 has no Connection header: curl sends none, and X-Client-Secret is then the app's. Http2Test sends one.)
                    if (!v.equals("2")) assertNull(seen.header("X-Client-Secret"), "a header the client's Connection names stays between it and the router");
                    assertNull(seen.header("Keep-Alive"));
                    assertNull(seen.header("Proxy-Connection"));
                    assertNotNull(seen.header("Via"), "the backend sees the router in Via");
                }).withRequest("Connection: X-Client-Secret\r\nX-Client-Secret: 1\r\nKeep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\n", ""));
    }

    static {
        // An attacker's client names the framing and the router's own headers as hop-by-hop, to
        // strip them on the way to the app (smuggling a body, hiding who it is): none may go.
        CASES.add(new Case("a Connection that names the framing and the router's headers", "POST", (req, in, out) -> {
            String seen = "length=" + req.header("Content-Length") + " body=" + new String(req.body(), StandardCharsets.ISO_8859_1)
                    + " host=" + req.header("Host") + " for=" + (req.header("X-Forwarded-For") != null) + " id=" + (req.header("X-Request-Id") != null)
                    + " via=" + (req.header("Via") != null);
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + seen.length() + "\r\n\r\n" + seen));
            out.flush();
            return true;
        }, body(200, "length=5 body=hello host=" + HOST + " for=true id=true via=true"))
                .withRequest("Connection: Content-Length, Host, X-Forwarded-For, X-Request-Id, Via\r\n", "hello"));
    }

    static Expect badGateway() {
        return (r, v) -> {
            assertEquals(502, r.status(), "a response the router cannot pass on whole is a 502: " + r);
            assertNotNull(r.header("X-Request-Id"), "with the request id to find it by: " + r);
        };
    }

    static int indexOf(String name) {
        for (int i = 0; i < CASES.size(); i++) if (CASES.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException(name);
    }

    /** The scripted backend: /probe answers "probe"; /c/N?... is case N's script. */
    static void serve(Socket s) throws Exception {
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        while (true) {
            Request req;
            try {
                req = request(in, out);
            } catch (IOException end) {
                return;
            }
            if (req.path().startsWith("/probe")) {
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nprobe"));
                out.flush();
                continue;
            }
            String index = req.path().substring(3).replaceFirst("\\?.*", "");
            int i = Integer.parseInt(index);
            SEEN.put(i, req);
            if (!CASES.get(i).script().answer(req, in, out)) return;
        }
    }

    static Request request(InputStream in, OutputStream out) throws IOException {
        String head = Backends.readHead(in);
        String[] lines = head.split("\r\n");
        String[] start = lines[0].split(" ");
        List<String[]> headers = new ArrayList<>();
        long length = 0;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) continue;
            String[] h = {lines[i].substring(0, colon).strip(), lines[i].substring(colon + 1).strip()};
            headers.add(h);
            if (h[0].equalsIgnoreCase("Content-Length")) length = Long.parseLong(h[1]);
        }
        if ("100-continue".equalsIgnoreCase(new Request(lines[0], start[0], start[1], headers, new byte[0]).header("Expect"))) {
            out.write(ascii("HTTP/1.1 100 Continue\r\n\r\n")); // as a server that reads bodies only when asked does
            out.flush();
        }
        return new Request(lines[0], start[0], start[1], headers, in.readNBytes((int) length));
    }

    @TestFactory
    Stream<DynamicTest> matrix() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            int index = i;
            tests.add(DynamicTest.dynamicTest(c.name() + " × an HTTP/1.1 keep-alive client", () -> run(index, c, "1.1")));
            if (c.http10()) tests.add(DynamicTest.dynamicTest(c.name() + " × an HTTP/1.0 client", () -> run(index, c, "1.0")));
            if (c.http2()) tests.add(DynamicTest.dynamicTest(c.name() + " × an HTTP/2 client (curl)", () -> runHttp2(index, c)));
        }
        return tests.stream();
    }

    /**
     * The case from curl over HTTP/2 on the TLS port: the same answer, in HTTP/2's framing (no
     * connection-specific header may reach the client, RFC 9113 8.2.2); a truncated answer is a
     * stream reset, which curl reports as an error.
     */
    static void runHttp2(int index, Case c) throws Exception {
        List<String> args = new ArrayList<>(List.of("--http2"));
        if (c.method().equals("HEAD")) args.add("--head");
        else args.addAll(List.of("-X", c.method()));
        for (String line : c.requestHeaders().split("\r\n")) if (!line.isBlank()) args.addAll(List.of("-H", line));
        if (!c.requestBody().isEmpty()) args.addAll(List.of("--data-binary", c.requestBody()));
        if (c.requestHeaders().contains("Expect:")) args.addAll(List.of("--expect100-timeout", "5"));
        Curl.Result r = Curl.https(AbstractTcpRouteTest.router.httpsPort(), HOST, "/c/" + index, args.toArray(String[]::new));
        if (c.truncated()) {
            assertTrue(r.exit() != 0, "a truncated answer must not look complete: " + r);
            return;
        }
        assertEquals(0, r.exit(), r.toString());
        assertEquals("2", r.version(), "curl and the router agreed on HTTP/2: " + r);
        Wire.Response response = r.response();
        for (String name : List.of("Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade")) {
            assertNull(response.header(name), "no connection-specific header in HTTP/2 (RFC 9113 8.2.2): " + r);
        }
        c.expect().check(response, "2");
    }

    static void run(int index, Case c, String version) throws Exception {
        try (Socket s = new Socket("127.0.0.1", AbstractTcpRouteTest.router.httpPort())) {
            s.setSoTimeout(5000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            String head = c.method() + " /c/" + index + " HTTP/" + version + "\r\nHost: " + HOST + "\r\n" + c.requestHeaders()
                    + (c.requestBody().isEmpty() ? "" : "Content-Length: " + c.requestBody().length() + "\r\n") + "\r\n";
            Wire.Response r;
            try {
                if (c.client() != null) {
                    r = c.client().exchange(s, in, version, head);
                    if (r == null) return;
                } else {
                    s.getOutputStream().write(ascii(head + c.requestBody()));
                    r = Wire.read(in, c.method());
                }
            } catch (java.net.SocketException reset) {
                assertTrue(c.truncated(), "only an answer cut off midway may end in a reset: " + reset);
                return; // the client sees an error, never a whole answer
            }
            if (version.equals("1.0")) {
                assertNull(r.header("Transfer-Encoding"), "an HTTP/1.0 client knows no transfer coding: " + r);
                assertTrue(r.interim().isEmpty(), "no 1xx to an HTTP/1.0 client (RFC 9110 15.2): " + r);
            }
            if (c.truncated()) {
                assertFalse(r.complete(), "a truncated answer must not look complete: " + r);
                assertTrue(!r.framing().equals("close"), "an answer cut short that ends with the connection would look whole: " + r);
                AbstractTcpRouteTest.assertEnded(s, "and its connection ends");
                return;
            }
            assertTrue(r.complete(), r.toString());
            assertTrue(r.statusLine().startsWith("HTTP/1.1 "), "the router answers in its own version (RFC 9110 2.5): " + r);
            c.expect().check(r, version);
            if (r.status() == 101) return;
            if (r.closes() || version.equals("1.0")) {
                AbstractTcpRouteTest.assertEnded(s, "the router ends a connection its answer said it would, or an HTTP/1.0 one: " + r);
                return;
            }
            // Keep-alive: the connection still serves, and nothing of the answer is left on it.
            s.getOutputStream().write(ascii("GET /probe HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n"));
            Wire.Response probe = Wire.read(in, "GET");
            assertEquals("probe", probe.text(), "the next request on the connection: " + probe + " after " + r);
        }
    }
}
