package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import dev.grid.testing.Eventually;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The servers apps are really written with, behind the router, each from an HTTP/1.1
 * keep-alive client and an HTTP/1.0 one: busybox {@code httpd} (HTTP/1.0, its body ended by the
 * connection's end), Python's {@code http.server} (HTTP/1.0 with lengths), nginx (HTTP/1.1
 * keep-alive) and Node (chunked). Each is a real process on loopback; setup-host installs them,
 * and a missing one fails the test.
 */
class RealBackendsTest {
    static Path root;
    static final List<Process> servers = new ArrayList<>();
    static byte[] page;
    static byte[] big;

    static final List<String> NAMES = List.of("busybox", "python", "nginx", "node");

    @BeforeAll
    static void start() throws Exception {
        AbstractTcpRouteTest.start(Transport.choose(Transport.AUTO));
        root = Files.createTempDirectory("grid-real-backends");
        root.toFile().setReadable(true, false);
        root.toFile().setExecutable(true, false);
        Path docs = Files.createDirectories(root.resolve("docs"));
        docs.toFile().setReadable(true, false);
        docs.toFile().setExecutable(true, false);
        page = "<html><body>a page</body></html>\n".getBytes(StandardCharsets.US_ASCII);
        big = new byte[1 << 20];
        new java.util.Random(7).nextBytes(big);
        Files.write(docs.resolve("index.html"), page);
        Files.write(docs.resolve("big.bin"), big);
        for (Path f : List.of(docs.resolve("index.html"), docs.resolve("big.bin"))) f.toFile().setReadable(true, false);
        for (String name : NAMES) {
            int port = Backends.deadPort();
            List<String> command = switch (name) {
                case "busybox" -> List.of("busybox", "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", docs.toString());
                case "python" -> List.of("python3", "-m", "http.server", String.valueOf(port), "--bind", "127.0.0.1", "--directory", docs.toString());
                case "nginx" -> nginx(port, docs);
                case "node" -> List.of("node", "-e", node(port, docs));
                default -> throw new IllegalArgumentException(name);
            };
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(root.resolve(name + ".log").toFile()).start();
            servers.add(p);
            Eventually.await(name + " listening on " + port, Duration.ofSeconds(10), () -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (java.io.IOException e) {
                    if (!p.isAlive()) throw new AssertionError(name + " exited: " + log(name));
                    return false;
                }
            }, ok -> ok);
            AbstractTcpRouteTest.backends.register("real-" + name, name, port);
            AbstractTcpRouteTest.route(Route.http("real-" + name, name + ".real.test", "/", "real-" + name));
            AbstractRouterTest.awaitFetch(name + ".real.test", "/index.html", Duration.ofSeconds(5), r -> r.startsWith("HTTP/1.1 200"));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : servers) {
            p.destroy();
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
        }
        AbstractTcpRouteTest.stop();
        new ProcessBuilder("rm", "-rf", root.toString()).start().waitFor();
    }

    static String log(String name) {
        try {
            return Files.readString(root.resolve(name + ".log"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    static List<String> nginx(int port, Path docs) throws Exception {
        Path dir = Files.createDirectories(root.resolve("nginx"));
        Files.writeString(dir.resolve("nginx.conf"), "daemon off;\nworker_processes 1;\nerror_log " + dir.resolve("error.log") + ";\npid " + dir.resolve("nginx.pid")
                + ";\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n  client_body_temp_path " + dir + ";\n  proxy_temp_path " + dir
                + ";\n  fastcgi_temp_path " + dir + ";\n  uwsgi_temp_path " + dir + ";\n  scgi_temp_path " + dir
                + ";\n  server {\n    listen 127.0.0.1:" + port + ";\n    root " + docs + ";\n  }\n}\n");
        return List.of("nginx", "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString());
    }

    /** Node's http module as most apps use it: writes in pieces, so the answer is chunked; a HEAD answered by the same code. */
    static String node(int port, Path docs) {
        return "const http=require('http'),fs=require('fs');http.createServer((q,s)=>{"
                + "const f='" + docs + "'+q.url;fs.readFile(f,(e,d)=>{if(e){s.writeHead(404,{'Content-Type':'text/plain'});s.end('not here\\n');return;}"
                + "s.writeHead(200,{'Content-Type':'application/octet-stream'});const h=d.length>>1;s.write(d.subarray(0,h));s.end(d.subarray(h));});"
                + "}).listen(" + port + ",'127.0.0.1');";
    }

    @TestFactory
    Stream<DynamicTest> realServers() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : NAMES) {
            for (String version : List.of("1.1", "1.0")) {
                String client = version.equals("1.1") ? "an HTTP/1.1 keep-alive client" : "an HTTP/1.0 client";
                tests.add(DynamicTest.dynamicTest(name + ": a page, twice on one connection × " + client, () -> exchange(name, version, "GET", "/index.html", 200, page)));
                tests.add(DynamicTest.dynamicTest(name + ": 1 MiB × " + client, () -> exchange(name, version, "GET", "/big.bin", 200, big)));
                tests.add(DynamicTest.dynamicTest(name + ": HEAD × " + client, () -> exchange(name, version, "HEAD", "/index.html", 200, new byte[0])));
                tests.add(DynamicTest.dynamicTest(name + ": 404 × " + client, () -> exchange(name, version, "GET", "/missing", 404, null)));
            }
        }
        return tests.stream();
    }

    /** The request, and (keep-alive) the same again on the same connection: each answer framed and whole, the connection as the RFCs say. */
    static void exchange(String name, String version, String method, String path, int status, byte[] body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", AbstractTcpRouteTest.router.httpPort())) {
            s.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (int round = 0; round < (version.equals("1.1") ? 2 : 1); round++) {
                s.getOutputStream().write((method + " " + path + " HTTP/" + version + "\r\nHost: " + name + ".real.test\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                Wire.Response r = Wire.read(in, method);
                assertEquals(status, r.status(), name + ": " + r);
                assertTrue(r.complete(), name + ": " + r);
                assertTrue(r.statusLine().startsWith("HTTP/1.1 "), "the router answers in its own version (RFC 9110 2.5): " + r);
                if (body != null) assertArrayEquals(body, r.body(), name + ": the body as the server sent it: " + r);
                if (version.equals("1.0")) {
                    assertNull(r.header("Transfer-Encoding"), "an HTTP/1.0 client knows no transfer coding: " + r);
                    AbstractTcpRouteTest.assertEnded(s, "an HTTP/1.0 client's connection ends after its answer: " + r);
                    return;
                }
                assertTrue(!r.closes(), name + ": an HTTP/1.1 client keeps its connection, whatever the server did with the router's: " + r);
            }
        }
    }
}
