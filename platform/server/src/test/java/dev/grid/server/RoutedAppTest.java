package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.testing.Eventually;
import dev.grid.testing.Scrape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Apps reached through the router: the default APP.DOMAIN route, and a TCP route to Redis run as a Grid job. */
class RoutedAppTest {
    static TestCluster grid;

    @BeforeAll
    static void start() {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    static String viaRouter(String host, String path) {
        return viaRouter(grid, host, path);
    }

    /** One GET through the cluster's router with this Host; "STATUS-LINE | BODY". */
    static String viaRouter(TestCluster grid, String host, String path) {
        try (Socket s = new Socket("127.0.0.1", grid.router.httpPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String r = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return r.substring(0, r.indexOf("\r\n")) + " | " + r.substring(r.indexOf("\r\n\r\n") + 4);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void everyAppIsServedAtItsDefaultHostAcrossItsJobs() {
        grid.api.deployWeb("routed");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "routed", "web=2").exitCode());
        Eventually.await("2 jobs up", Duration.ofSeconds(15), () -> grid.api.upJobs("routed"), j -> j.size() == 2);
        Set<String> answered = new HashSet<>();
        Eventually.await("both jobs answer through the router", Duration.ofSeconds(10), () -> {
            String r = viaRouter("routed.grid.test", "/");
            if (r.startsWith("HTTP/1.1 200")) answered.add(r);
            return answered.size();
        }, n -> n == 2);
        var routes = grid.api.cli("routes");
        assertTrue(routes.out().contains("routed.grid.test/") && routes.out().contains("routed.web"), routes.out());

        assertEquals(0, grid.api.cli("ps:scale", "-a", "routed", "web=0").exitCode());
        Eventually.await("503 once no job is left", Duration.ofSeconds(10), () -> viaRouter("routed.grid.test", "/"),
                r -> r.startsWith("HTTP/1.1 503"));
    }

    @Test
    void theRoutersAccessLinesAreInTheAppsLogBesideItsOutputByTime() throws Exception {
        grid.api.deployWeb("logged");
        String job = Eventually.await("web up", Duration.ofSeconds(15), () -> grid.api.upJobs("logged"), j -> j.size() == 1).get(0).path("id").asText();
        String probe = "/probe-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Eventually.await("an answer through the router", Duration.ofSeconds(10), () -> viaRouter("logged.grid.test", probe), r -> r.startsWith("HTTP/1.1 200"));
        String routerLine = " router: at=info method=GET path=\"" + probe + "\" host=logged.grid.test ";
        String all = Eventually.await("the app's line and the router's", Duration.ofSeconds(10), () -> grid.api.cli("logs", "-a", "logged").out(),
                out -> out.contains("web." + job + ": request " + probe) && out.contains(routerLine)).strip();
        List<String> lines = List.of(all.split("\n"));
        assertTrue(lines.stream().allMatch(dev.grid.core.LogTimes::timed), "every line begins with its time: " + all);
        assertEquals(lines.stream().sorted().toList(), lines, "by time");
        String access = lines.stream().filter(l -> l.contains(routerLine)).findFirst().orElseThrow();
        assertTrue(access.contains(" dyno=web." + job + " ") && access.contains(" status=200 ") && access.contains(" bytes=" + job.length() + " "), access);

        String router = grid.api.cli("logs", "-a", "logged", "--source", "router").out();
        assertTrue(router.contains(routerLine) && !router.contains(": request "), router);
        String app = grid.api.cli("logs", "-a", "logged", "--source", "app").out();
        assertTrue(app.contains(": request " + probe) && !app.contains(" router: "), app);
        String web = grid.api.cli("logs", "-a", "logged", "--ps", "web").out();
        assertTrue(web.contains(routerLine) && web.contains(": request " + probe), web);
        assertEquals("", grid.api.cli("logs", "-a", "logged", "--ps", "worker").out().strip(), "no worker answered anything");
        assertEquals(1, grid.api.cli("logs", "-a", "logged", "-n", "1").out().strip().split("\n").length);
        var info = grid.api.cli("apps:info", "-a", "logged").out();
        assertTrue(info.contains("Web URL:   http://logged.grid.test/") && info.contains("Add-ons:   (none)")
                && info.contains("Stack:     " + TestCluster.STACK_IMAGE), info);
        // Without -a, GRID_APP or a checkout with the remote grid (the tests run in one without it), the error says what it tried.
        var which = grid.api.cli("logs");
        assertTrue(which.exitCode() == 1 && which.err().contains("which app? Tried -a APP (not given), GRID_APP (not set) and the git remote grid"),
                which.err());
        var bad = grid.api.cli("logs", "-a", "logged", "--source", "dyno");
        assertTrue(bad.exitCode() != 0 && bad.err().contains("use app (the app's own output) or router"), bad.err());

        // Following: a request made after the stream opened shows up in it (its head comes with its first line).
        var client = java.net.http.HttpClient.newHttpClient();
        var opening = client.sendAsync(java.net.http.HttpRequest.newBuilder(URI.create(grid.api.url() + "/apps/logged/logs?follow=true&tail=0&source=router"))
                .header("Authorization", "Bearer " + grid.api.token()).build(), java.net.http.HttpResponse.BodyHandlers.ofLines());
        Thread.sleep(1000);
        String later = "/later-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        assertTrue(viaRouter("logged.grid.test", later).startsWith("HTTP/1.1 200"));
        try (var stream = opening.get(10, java.util.concurrent.TimeUnit.SECONDS).body()) {
            var seen = java.util.concurrent.CompletableFuture.supplyAsync(() -> stream.filter(l -> l.contains("path=\"" + later + "\"")).findFirst().orElse(null));
            assertTrue(seen.get(10, java.util.concurrent.TimeUnit.SECONDS).contains(" status=200 "));
        }
    }

    @Test
    void theMetricsCountWhatTheRouterServedAndOnlyTheOperatorOrTheScrapeTokenReadsThem() {
        grid.api.deployWeb("counted");
        Eventually.await("served", Duration.ofSeconds(15), () -> viaRouter("counted.grid.test", "/"), r -> r.startsWith("HTTP/1.1 200"));
        String api = grid.api.url() + "/metrics";
        String before = TestApi.get(api, grid.api.token()).body();
        double ok = Scrape.value(before, "grid_router_requests_total", "app", "counted", "status", "200");
        double unrouted = Scrape.sum(before, "grid_router_requests_total", "app", "-", "status", "404");
        double timed = Scrape.value(before, "grid_router_request_duration_seconds_count", "app", "counted");
        for (int i = 0; i < 3; i++) assertTrue(viaRouter("counted.grid.test", "/").startsWith("HTTP/1.1 200"));
        assertTrue(viaRouter("nothing-here.grid.test", "/").startsWith("HTTP/1.1 404"));

        String after = Eventually.await("the three requests counted", Duration.ofSeconds(5), () -> TestApi.get(api, grid.api.token()).body(),
                s -> Scrape.value(s, "grid_router_requests_total", "app", "counted", "status", "200") == ok + 3);
        assertEquals(unrouted + 1, Scrape.sum(after, "grid_router_requests_total", "app", "-", "status", "404"), "and the unrouted one, under no app");
        assertEquals(timed + 3, Scrape.value(after, "grid_router_request_duration_seconds_count", "app", "counted"), "each has its latency");
        assertEquals(timed + 3, Scrape.value(after, "grid_router_request_duration_seconds_bucket", "app", "counted", "le", "+Inf"));
        assertEquals(1.0, Scrape.value(after, "grid_jobs", "app", "counted", "type", "web", "state", "up"), after);
        assertTrue(after.contains("jvm_memory_used_bytes"), "and the process's own");

        // The scrape token: /metrics on the API and on GRID_METRICS_PORT, and nothing else.
        String own = "http://127.0.0.1:" + grid.metricsServer.port() + "/metrics";
        assertEquals(401, TestApi.get(own, grid.api.token()).status(), "not even the operator's: a scraper's port takes the scraper's token");
        var minted = grid.api.cli("metrics:token");
        assertEquals(0, minted.exitCode(), minted.err());
        String token = minted.out().strip();
        TestApi.Text scraped = TestApi.get(own, token);
        assertEquals(200, scraped.status(), scraped.body());
        assertEquals(ok + 3, Scrape.value(scraped.body(), "grid_router_requests_total", "app", "counted", "status", "200"));
        assertEquals(200, TestApi.get(api, token).status());
        assertEquals(401, TestApi.get(grid.api.url() + "/apps", token).status(), "the scrape token opens nothing else");
        assertEquals(401, grid.api.call("POST", "/metrics/token", "{}", token).status(), "not even a token of its own");
        assertEquals(401, TestApi.get(own, null).status());
        assertEquals(401, TestApi.get(api, null).status());
        assertEquals(401, TestApi.get(own, token + "0").status());
        String next = grid.api.cli("metrics:token").out().strip();
        assertEquals(401, TestApi.get(own, token).status(), "a new token replaces the old at once");
        assertEquals(401, TestApi.get(api, token).status());
        assertEquals(200, TestApi.get(own, next).status());
    }

    @Test
    void logDrainsGetTheAppsOutputAndTheRoutersLinesOverSyslogTcpTlsAndHttps() throws Exception {
        grid.api.deployWeb("drained");
        String job = Eventually.await("web up", Duration.ofSeconds(15), () -> grid.api.upJobs("drained"), j -> j.size() == 1).get(0).path("id").asText();
        try (LogReceiver tcp = LogReceiver.syslog(null, 0); LogReceiver tls = LogReceiver.syslog(TestCluster.drainTls(true), 0);
             LogReceiver https = LogReceiver.https(TestCluster.drainTls(true))) {
            List<String> urls = List.of("syslog://127.0.0.1:" + tcp.port, "syslog+tls://localhost:" + tls.port, "https://user:secret@localhost:" + https.port + "/logs");
            for (String url : urls) {
                var added = grid.api.cli("drains:add", url, "-a", "drained");
                assertEquals(0, added.exitCode(), added.err());
                assertTrue(added.out().startsWith("Successfully added drain "), added.out());
            }
            String listed = grid.api.cli("drains", "-a", "drained").out();
            assertTrue(listed.contains("syslog://127.0.0.1:" + tcp.port) && listed.contains("https://user:***@localhost:" + https.port + "/logs")
                    && !listed.contains("secret"), "an HTTPS drain's password is not shown: " + listed);
            String token = grid.api.ok("GET", "/apps/drained/drains", null).get(0).path("id").asText();

            String probe = "/drained-" + java.util.UUID.randomUUID().toString().substring(0, 8);
            Eventually.await("served", Duration.ofSeconds(10), () -> viaRouter("drained.grid.test", probe), r -> r.startsWith("HTTP/1.1 200"));
            for (LogReceiver r : List.of(tcp, tls, https)) {
                String app = Eventually.await("the app's line at drain " + r.port, Duration.ofSeconds(15), () -> r.containing(" app web." + job + " - - request " + probe),
                        l -> !l.isEmpty()).get(0);
                assertTrue(app.matches("<190>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z d\\.[0-9a-f]{16} app web\\." + job + " - - request .*"), app);
                String router = Eventually.await("the router's line at drain " + r.port, Duration.ofSeconds(5),
                        () -> r.containing(" grid router - - at=info method=GET path=\"" + probe + "\" host=drained.grid.test "), l -> !l.isEmpty()).get(0);
                assertTrue(router.contains(" dyno=web." + job + " ") && router.contains(" status=200 "), router);
                assertEquals(List.of(), r.errors, "every frame parses");
            }
            assertTrue(tcp.messages.stream().allMatch(m -> m.contains(" " + token + " ")), "the first drain's token names it in each message");
            var post = https.posts.get(0);
            assertEquals(List.of("application/logplex-1"), post.get("Content-type"), post.toString());
            assertEquals(List.of("Basic " + java.util.Base64.getEncoder().encodeToString("user:secret".getBytes(StandardCharsets.UTF_8))), post.get("Authorization"));

            // Removed by its token: later lines do not go there; the others still get them.
            assertEquals(0, grid.api.cli("drains:remove", token, "-a", "drained").exitCode());
            int before = tcp.messages.size();
            String later = "/later-" + java.util.UUID.randomUUID().toString().substring(0, 8);
            assertTrue(viaRouter("drained.grid.test", later).startsWith("HTTP/1.1 200"));
            Eventually.await("the later line at the TLS drain", Duration.ofSeconds(10), () -> tls.containing("request " + later), l -> !l.isEmpty());
            assertEquals(before, tcp.messages.size(), "nothing more at the removed drain");
        }

        // Bad input changes nothing, and says what would do.
        int drains = grid.api.ok("GET", "/apps/drained/drains", null).size();
        var plainHttp = grid.api.cli("drains:add", "http://logs.example.com/in", "-a", "drained");
        assertTrue(plainHttp.exitCode() != 0 && plainHttp.err().contains("unencrypted over HTTP: use https://"), plainHttp.err());
        var noPort = grid.api.cli("drains:add", "syslog://logs.example.com", "-a", "drained");
        assertTrue(noPort.exitCode() != 0 && noPort.err().contains("names no port"), noPort.err());
        int etcd = URI.create(dev.grid.testing.SharedEtcd.url()).getPort();
        var own = grid.api.cli("drains:add", "syslog://127.0.0.1:" + etcd, "-a", "drained");
        assertTrue(own.exitCode() != 0 && own.err().contains("one of Grid's own ports"), "an app's output into etcd's port: " + own.err());
        var none = grid.api.cli("drains:remove", "d.0000000000000000", "-a", "drained");
        assertTrue(none.exitCode() != 0 && none.err().contains("has no drain"), none.err());
        assertEquals(drains, grid.api.ok("GET", "/apps/drained/drains", null).size());
    }

    @Test
    void aDrainThatIsDownSlowsNothingAndKeepsItsNewestLinesForWhenItIsBack() throws Exception {
        grid.api.deployWeb("downstream");
        Eventually.await("served", Duration.ofSeconds(15), () -> viaRouter("downstream.grid.test", "/"), r -> r.startsWith("HTTP/1.1 200"));
        int port = dev.grid.testing.Ports.free();
        assertEquals(0, grid.api.cli("drains:add", "syslog://127.0.0.1:" + port, "-a", "downstream").exitCode());
        String token = grid.api.ok("GET", "/apps/downstream/drains", null).get(0).path("id").asText();
        // TestCluster's drains buffer 200 lines each: 300 requests make 600 lines (the app's and the router's).
        long start = System.nanoTime();
        for (int i = 0; i < 300; i++) assertTrue(viaRouter("downstream.grid.test", "/n" + i).startsWith("HTTP/1.1 200"));
        long perRequestMs = (System.nanoTime() - start) / 300 / 1_000_000;
        String scrape = Eventually.await("the oldest lines dropped and counted", Duration.ofSeconds(15), () -> grid.metrics.scrape(),
                s -> Scrape.value(s, "grid_drain_lines_total", "drain", token, "outcome", "dropped") >= 300);
        assertEquals(200.0, Scrape.value(scrape, "grid_drain_buffered", "drain", token), "the buffer holds its bound, no more");
        System.out.printf("BENCH drain down: %d ms per request through the router meanwhile%n", perRequestMs);
        try (LogReceiver back = LogReceiver.syslog(null, port)) {
            Eventually.await("the buffered lines, once the receiver is back", Duration.ofSeconds(40), () -> back.containing("request /n299"), l -> !l.isEmpty());
            assertTrue(back.containing("request /n0").isEmpty(), "the oldest went first");
            Eventually.await("every buffered line sent", Duration.ofSeconds(10), () -> Scrape.value(grid.metrics.scrape(), "grid_drain_buffered", "drain", token), n -> n == 0);
        }
    }

    @Test
    void maintenanceModeAnswers503WithAPageUntilItIsTurnedOff() {
        grid.api.deployWeb("resting");
        Eventually.await("served", Duration.ofSeconds(15), () -> viaRouter("resting.grid.test", "/"), r -> r.startsWith("HTTP/1.1 200"));
        var on = grid.api.cli("maintenance:on", "-a", "resting");
        assertEquals(0, on.exitCode(), on.err());
        String page = Eventually.await("the maintenance page", Duration.ofSeconds(5), () -> viaRouter("resting.grid.test", "/"), r -> r.startsWith("HTTP/1.1 503"));
        assertTrue(page.contains("Down for maintenance"), page);
        assertEquals("on", grid.api.cli("maintenance", "-a", "resting").out().strip());
        assertTrue(grid.api.cli("apps:info", "-a", "resting").out().contains("Maintenance: on"));
        assertEquals(1, grid.api.upJobs("resting").size(), "its jobs keep running, as on Heroku");
        assertEquals(0, grid.api.cli("maintenance:off", "-a", "resting").exitCode());
        Eventually.await("served again", Duration.ofSeconds(5), () -> viaRouter("resting.grid.test", "/"), r -> r.startsWith("HTTP/1.1 200"));
        assertEquals("off", grid.api.cli("maintenance", "-a", "resting").out().strip());
        var none = grid.api.cli("maintenance:on", "-a", "nosuchapp");
        assertTrue(none.exitCode() == 1 && grid.store.get(dev.grid.store.Keys.maintenance("nosuchapp")).isEmpty(), none.err());
    }

    static String redis(Socket s, String... command) throws IOException {
        StringBuilder b = new StringBuilder("*" + command.length + "\r\n");
        for (String c : command) b.append('$').append(c.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(c).append("\r\n");
        OutputStream out = s.getOutputStream();
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        return line.startsWith("$") && !line.equals("$-1") ? in.readLine() : line;
    }

    @Test
    void aTcpRouteReachesRedisRunAsAJob() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"kv\"}");
        grid.api.ok("POST", "/apps/kv/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"redis\":"
                + "{\"command\":\"exec redis-server --port $PORT --bind 0.0.0.0 --save '' --appendonly no\"}}}");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "kv", "redis=1").exitCode());
        var added = grid.api.cli("routes:add", "tcp", "-a", "kv", "--process", "redis", "--leader");
        assertEquals(0, added.exitCode(), added.err());
        JsonNode route = grid.api.ok("GET", "/routes", null).findParents("service").stream()
                .filter(r -> r.path("service").asText().equals("kv.redis")).findFirst().orElseThrow();
        int port = route.path("port").asInt();
        assertTrue(added.out().contains("port " + port), added.out());

        String pong = Eventually.await("PONG through the TCP route", Duration.ofSeconds(20), () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(2000);
                return redis(s, "PING");
            } catch (IOException e) {
                return e.toString();
            }
        }, "+PONG"::equals);
        assertEquals("+PONG", pong);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(2000);
            assertEquals("+OK", redis(s, "SET", "greeting", "hello through grid"));
            assertEquals("hello through grid", redis(s, "GET", "greeting"));
        }
        var removed = grid.api.cli("routes:remove", route.path("id").asText());
        assertEquals(0, removed.exitCode());
        Eventually.await("the port to close", Duration.ofSeconds(5), () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return "open";
            } catch (IOException e) {
                return "closed";
            }
        }, "closed"::equals);
    }

    @Test
    void badRoutesAreRefusedWithAReason() {
        var noService = grid.api.cli("routes:add", "http", "x.example.com");
        assertEquals(1, noService.exitCode());
        assertTrue(noService.err().contains("--service"), noService.err());
        var badHost = grid.api.call("POST", "/routes", "{\"type\":\"http\",\"host\":\"bad host!\",\"service\":\"a-web\"}");
        assertEquals(422, badHost.status());
        var badType = grid.api.call("POST", "/routes", "{\"type\":\"udp\",\"service\":\"a-web\"}");
        assertEquals(422, badType.status());
        assertTrue(badType.body().path("error").asText().contains("use http or tcp"));
        var unknown = grid.api.call("DELETE", "/routes/nope", null);
        assertEquals(404, unknown.status());
        grid.api.ok("POST", "/routes", "{\"type\":\"tcp\",\"service\":\"a-web\",\"port\":31999}");
        var taken = grid.api.call("POST", "/routes", "{\"type\":\"tcp\",\"service\":\"b-web\",\"port\":31999}");
        assertEquals(409, taken.status());
        assertTrue(taken.body().path("error").asText().contains("already taken"));

        // A TCP route on one of Grid's own ports would take its traffic (the router's HTTP) or be a
        // squatter's way in front of it (the API, etcd, a host's job ports): refused, nothing written.
        int routerHttp = grid.router.httpPort();
        int api = URI.create(grid.controller.url()).getPort();
        int jobPort = grid.hosts.get(0).config().portMin();
        List<JsonNode> before = grid.api.ok("GET", "/routes", null).findParents("id");
        for (int port : List.of(routerHttp, api, jobPort)) {
            var own = grid.api.cli("routes:add", "tcp", "--service", "a.web", "--port", String.valueOf(port));
            assertEquals(1, own.exitCode(), own.out());
            assertTrue(own.err().contains("port " + port + " is "), own.err());
        }
        var routerPort = grid.api.call("POST", "/routes", "{\"type\":\"tcp\",\"service\":\"a.web\",\"port\":" + routerHttp + "}");
        assertEquals(409, routerPort.status());
        assertTrue(routerPort.body().path("error").asText().startsWith("port " + routerHttp + " is Grid's own: the router's HTTP on 127.0.0.1: "
                + "choose another, or leave --port out for one from "), routerPort.body().toString());
        assertEquals(before.size(), grid.api.ok("GET", "/routes", null).findParents("id").size(), "no route was added");

    }

    @Test
    void anAppsRoutesTakeTheAnswerTimeoutItAsksFor() {
        grid.api.deployWeb("slowapp");
        var set = grid.api.cli("routes:timeout", "-a", "slowapp", "90");
        assertEquals(0, set.exitCode(), set.err());
        assertTrue(set.out().contains("90 s to answer for slowapp: slowapp.grid.test/"), set.out());
        assertEquals(0, grid.api.cli("routes:add", "http", "www.slow.test", "-a", "slowapp").exitCode());
        for (JsonNode r : grid.api.ok("GET", "/routes", null)) {
            if (r.path("service").asText().equals("slowapp.web")) assertEquals(90, r.path("timeoutSeconds").asInt(), r.toString());
            else assertEquals(0, r.path("timeoutSeconds").asInt(), "another app's route keeps the router's: " + r);
        }
        var tooLong = grid.api.cli("routes:timeout", "-a", "slowapp", "601");
        assertEquals(1, tooLong.exitCode());
        assertTrue(tooLong.err().contains("invalid timeout 601: use 1-600 seconds, or 0 for the router's 30 s"), tooLong.err());
        assertEquals(422, grid.api.call("PATCH", "/routes/timeout", "{\"app\":\"slowapp\",\"seconds\":-1}").status());
        var unknown = grid.api.cli("routes:timeout", "-a", "nope", "60");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("no app named 'nope'"), unknown.err());
        assertEquals(90, grid.api.ok("GET", "/routes", null).findParents("service").stream()
                .filter(r -> r.path("service").asText().equals("slowapp.web")).findFirst().orElseThrow().path("timeoutSeconds").asInt(), "bad input changed nothing");
        assertEquals(0, grid.api.cli("routes:timeout", "-a", "slowapp", "0").exitCode());
    }

    @Test
    void certsAddRefusesAMismatchedKeyAndListsAGoodCertificate() throws Exception {
        var mine = new io.netty.handler.ssl.util.SelfSignedCertificate("www.certs.test");
        var other = new io.netty.handler.ssl.util.SelfSignedCertificate("evil.certs.test");
        String cert = mine.certificate().getPath();
        var mismatched = grid.api.cli("certs:add", "www.certs.test", "--cert", cert, "--key", other.privateKey().getPath());
        assertEquals(1, mismatched.exitCode());
        assertTrue(mismatched.err().contains("does not belong to the certificate"), mismatched.err());
        var missing = grid.api.cli("certs:add", "www.certs.test", "--cert", "/nonexistent.pem", "--key", other.privateKey().getPath());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("cannot read /nonexistent.pem"), missing.err());
        assertEquals("[]", grid.api.ok("GET", "/certs", null).toString(), "nothing was stored");

        var added = grid.api.cli("certs:add", "www.certs.test", "--cert", cert, "--key", mine.privateKey().getPath());
        assertEquals(0, added.exitCode(), added.err());
        var list = grid.api.cli("certs");
        assertTrue(list.out().contains("www.certs.test") && list.out().contains("CN=www.certs.test"), list.out());
        assertTrue(grid.store.get("certs/www.certs.test").isPresent());
        assertEquals(0, grid.api.cli("certs:remove", "www.certs.test").exitCode());
    }
}
