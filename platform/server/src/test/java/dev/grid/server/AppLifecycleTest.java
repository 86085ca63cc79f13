package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One Grid with one host on 127.0.0.2, shared by these tests; each uses its own app. */
class AppLifecycleTest {
    static final String ADDRESS = "127.0.0.2";
    static TestCluster grid;

    @BeforeAll
    static void start() {
        grid = new TestCluster(5);
        grid.startHost("a", ADDRESS);
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    static List<JsonNode> jobs(String app) {
        return grid.api.jobs(app);
    }

    static List<JsonNode> upJobs(String app) {
        return grid.api.upJobs(app);
    }

    @Test
    void psRestartReplacesEveryWebJobWhileEveryRequestIsAnsweredAndPsStopReplacesOne() throws Exception {
        grid.api.deployWeb("restarted");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "restarted", "web=2").exitCode());
        Set<String> before = Eventually.await("2 web jobs up", Duration.ofSeconds(15), () -> upJobs("restarted"), j -> j.size() == 2)
                .stream().map(j -> j.path("id").asText()).collect(java.util.stream.Collectors.toSet());
        Eventually.await("served through the router", Duration.ofSeconds(10), () -> RoutedAppTest.viaRouter(grid, "restarted.grid.test", "/"),
                r -> r.startsWith("HTTP/1.1 200"));

        // Requests all along the restart, one after another: none may fail.
        java.util.concurrent.atomic.AtomicBoolean going = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        Thread load = new Thread(() -> {
            long until = System.nanoTime() + 60_000_000_000L; // bounded, whatever happens
            while (going.get() && System.nanoTime() < until) {
                String r = RoutedAppTest.viaRouter(grid, "restarted.grid.test", "/");
                if (r.startsWith("HTTP/1.1 200")) answered.incrementAndGet();
                else failed.add(r);
            }
        });
        load.start();
        try {
            var restart = grid.api.cli("ps:restart", "-a", "restarted", "web");
            assertEquals(0, restart.exitCode(), restart.err());
            for (String id : before) assertTrue(restart.out().contains("web." + id), restart.out());
            Eventually.await("two new web jobs up and the old ones gone", Duration.ofSeconds(40), () -> jobs("restarted"), j -> j.size() == 2
                    && j.stream().allMatch(x -> x.path("state").asText().equals("up") && !before.contains(x.path("id").asText())));
            Thread.sleep(500);
        } finally {
            going.set(false);
            load.join(70_000);
        }
        assertTrue(failed.isEmpty(), "every request answered during the restart; failed: " + failed.size() + " " + failed.stream().limit(3).toList());
        assertTrue(answered.get() > 20, "requests went on all along: " + answered.get());
        assertTrue(grid.store.list(dev.grid.store.Keys.RESTART_JOBS).entries().isEmpty(), "the requests went with their jobs");

        String victim = upJobs("restarted").get(0).path("id").asText();
        var stop = grid.api.cli("ps:stop", "-a", "restarted", victim);
        assertEquals(0, stop.exitCode(), stop.err());
        Eventually.await("the stopped job replaced", Duration.ofSeconds(20), () -> upJobs("restarted"),
                j -> j.size() == 2 && j.stream().noneMatch(x -> x.path("id").asText().equals(victim)));

        var unknown = grid.api.cli("ps:restart", "-a", "restarted", "nosuchtype");
        assertTrue(unknown.exitCode() == 1 && unknown.err().contains("has no process type or job 'nosuchtype'"), unknown.err());
        grid.api.ok("POST", "/apps", "{\"name\":\"restarted-other\"}");
        var other = grid.api.cli("ps:stop", "-a", "restarted-other", victim);
        assertTrue(other.exitCode() == 1 && other.err().contains("has no process type or job '" + victim + "'"),
                "another app's job is not this app's to stop: " + other.err());
        assertTrue(grid.store.list(dev.grid.store.Keys.RESTART_JOBS).entries().isEmpty(), "nothing was asked of the scheduler");
    }

    @Test
    void scaleWebToThreeRunsThreeContainersWithDistinctPortsWithinFiveSeconds() {
        grid.api.deployWeb("three");
        Eventually.await("the default web=1", Duration.ofSeconds(10), () -> upJobs("three"), j -> j.size() == 1);

        Instant asked = Instant.now();
        var scaled = grid.api.cli("ps:scale", "-a", "three", "web=3");
        assertEquals(0, scaled.exitCode(), scaled.err());
        List<JsonNode> up = Eventually.await("3 web jobs up", Duration.ofSeconds(5), () -> upJobs("three"), j -> j.size() == 3);
        System.out.println("scale web=1 -> web=3 up in " + Duration.between(asked, Instant.now()).toMillis() + " ms");

        Set<Integer> ports = new HashSet<>();
        for (JsonNode j : up) {
            int port = j.path("port").asInt();
            ports.add(port);
            assertEquals("200 " + j.path("id").asText(), TestCluster.get(ADDRESS, port), "each job serves on its own PORT");
        }
        assertEquals(3, ports.size(), "distinct ports: " + ports);
        assertEquals(3, grid.containers("a").stream().filter(c -> "three".equals(c.labels().get("grid.app"))).count());

        var ps = grid.api.cli("ps", "-a", "three");
        assertEquals(0, ps.exitCode());
        assertEquals(3, ps.out().lines().filter(l -> l.startsWith("web") && l.contains(" up ")).count(), ps.out());

        assertEquals(0, grid.api.cli("ps:scale", "-a", "three", "web=0").exitCode());
        Eventually.await("all containers gone", Duration.ofSeconds(15),
                () -> grid.containers("a").stream().filter(c -> "three".equals(c.labels().get("grid.app"))).count(), n -> n == 0);
    }

    @Test
    void aVolumeBoundTypesNewReleaseStartsOnlyOnceTheOldContainerHasStopped() {
        // Each run notes its start in the volume, and its stop when SIGTERM comes; each prints what it found.
        String volume = grid.id + "-handover";
        String command = "echo start >> /v/runs; echo runs=$(paste -sd, /v/runs); trap 'echo stop >> /v/runs; exit 0' TERM; while :; do sleep 0.2; done";
        java.util.function.IntFunction<String> release = n -> "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"db\":{\"command\":\""
                + command + "\",\"volumes\":[{\"name\":\"" + volume + "\",\"path\":\"/v\"}]}},\"env\":{\"RELEASE\":\"" + n + "\"}}";
        grid.api.ok("POST", "/apps", "{\"name\":\"handover\"}");
        grid.api.ok("POST", "/apps/handover/releases", release.apply(1));
        grid.api.ok("PATCH", "/apps/handover/formation", "{\"processes\":{\"db\":1}}");
        String first = Eventually.await("the first release's db up", Duration.ofSeconds(15), () -> upJobs("handover"), j -> j.size() == 1)
                .get(0).path("id").asText();

        grid.api.ok("POST", "/apps/handover/releases", release.apply(2));
        Eventually.await("the second release's db up", Duration.ofSeconds(30), () -> upJobs("handover"),
                j -> j.size() == 1 && !j.get(0).path("id").asText().equals(first));
        var logs = Eventually.await("the second run's line", Duration.ofSeconds(10), () -> grid.api.cli("logs", "-a", "handover"),
                r -> r.out().contains("runs=start,"));
        // Before, the new container started while the old one drained (2 s) on the same volume: runs=start,start.
        assertTrue(logs.out().contains("runs=start,stop,start"), "the old run stopped before the new one started: " + logs.out());
    }

    @Test
    void killedContainerIsReplacedAndRepeatedKillsBackOff() {
        grid.api.deployWeb("crashy");
        JsonNode job = Eventually.await("web up", Duration.ofSeconds(10), () -> upJobs("crashy"), j -> j.size() == 1).get(0);
        String jobId = job.path("id").asText();
        List<Long> recoveryMs = new ArrayList<>();
        // Per restart, the longest back-off ps announced ("crashed; restart N in S s (back-off)"), 0 for none.
        List<Integer> backoffSeconds = new ArrayList<>();
        java.util.regex.Pattern announced = java.util.regex.Pattern.compile("in (\\d+) s \\(back-off\\)");
        for (int kill = 1; kill <= 6; kill++) {
            int backoff = 0;
            String container = grid.containers("a").stream().filter(c -> jobId.equals(c.labels().get("grid.job")))
                    .filter(c -> c.running()).findFirst().orElseThrow().id();
            Instant killed = Instant.now();
            grid.docker.kill(container);
            int attempt = kill;
            Instant deadline = Instant.now().plusSeconds(15);
            JsonNode now = null;
            while (Instant.now().isBefore(deadline)) {
                now = jobs("crashy").get(0);
                var m = announced.matcher(now.path("message").asText());
                if (m.find()) backoff = Math.max(backoff, Integer.parseInt(m.group(1)));
                if (now.path("restarts").asInt() == attempt && now.path("state").asText().equals("up")) break;
                Eventually.sleep(50);
            }
            assertEquals(jobId, now.path("id").asText(), "the same job is restarted, not replaced by another");
            assertEquals("up", now.path("state").asText(), "restart " + attempt + " came up: " + now);
            assertEquals(attempt, now.path("restarts").asInt());
            recoveryMs.add(Duration.between(killed, Instant.now()).toMillis());
            backoffSeconds.add(backoff);
        }
        System.out.println("kill -> up again, ms per restart: " + recoveryMs + ", back-off announced (s): " + backoffSeconds);
        // What ps says rather than how long each took: on two cores shared with a test beside this one,
        // an immediate restart has taken 4 s.
        assertEquals(List.of(0, 0, 0), backoffSeconds.subList(0, 3), "the first restarts are immediate: " + recoveryMs);
        // Restarts 4, 5, 6 wait 1 s, 2 s, 4 s: the wait grows, and the sixth took at least its 4 s.
        assertTrue(backoffSeconds.get(4) > 0 && backoffSeconds.get(5) > backoffSeconds.get(4), "back-off grows: " + backoffSeconds);
        assertTrue(recoveryMs.get(5) >= 4000, "the sixth restart waited its back-off: " + recoveryMs);
        assertEquals(1, grid.containers("a").stream().filter(c -> "crashy".equals(c.labels().get("grid.app"))).count(),
                "crashed containers are replaced, not accumulated");
    }

    @Test
    void oneOffRunReturnsExitCodeAndOutputAndLogsShowRequests() {
        grid.api.deployWeb("oneoff");
        var run = grid.api.cli("run", "-a", "oneoff", "echo out-$((6*7)); echo err >&2; exit 7");
        assertEquals(7, run.exitCode(), run.err());
        assertEquals("out-42\n", run.out(), "its stdout, and nothing else");
        assertTrue(run.err().contains("\nerr\n"), "its stderr on the CLI's: " + run.err());
        Eventually.await("run job cleaned up", Duration.ofSeconds(10),
                () -> jobs("oneoff").stream().filter(j -> j.path("type").asText().equals("run")).count(), n -> n == 0);

        JsonNode web = Eventually.await("web up", Duration.ofSeconds(10), () -> upJobs("oneoff"), j -> j.size() == 1).get(0);
        TestCluster.get(ADDRESS, web.path("port").asInt());
        var logs = Eventually.await("the request in the logs", Duration.ofSeconds(5), () -> grid.api.cli("logs", "-a", "oneoff"),
                r -> r.out().contains("request /"));
        assertTrue(logs.out().contains("web." + web.path("id").asText() + ": request /"), logs.out());

        // Detached: it returns at once with its job, whose output the app's log has, from start to end.
        var detached = grid.api.cli("run:detached", "-a", "oneoff", "echo begun; sleep 2; echo done-$((6*7))");
        assertEquals(0, detached.exitCode(), detached.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("up, run\\.(oneoff-run-[0-9a-f]{8})\n").matcher(detached.out());
        assertTrue(m.find(), detached.out());
        String job = m.group(1);
        assertTrue(detached.out().contains("Use 'grid logs -a oneoff --ps " + job + "' to view the output."), detached.out());
        String out = Eventually.await("the detached run's output", Duration.ofSeconds(20), () -> grid.api.cli("logs", "-a", "oneoff", "--ps", job).out(),
                o -> o.contains("run." + job + ": done-42")).strip();
        assertTrue(out.contains("run." + job + ": begun") && !out.contains("request /"), "its lines only: " + out);
        assertTrue(grid.store.get(dev.grid.store.Keys.run(job)).isPresent(), "kept a while after it exited, for its output");
    }

    @Test
    void anAttachedRunStreamsItsStdinThroughAPipeToItsEofAndKeepsItsStreamsApart() {
        grid.api.deployWeb("piped");
        // Without stdin's EOF, cat would never end: the session would wait for good.
        // Numbered lines, a long one, and a character split across chunks: frames out of order or cut would show.
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20_000; i++) lines.append("line ").append(i).append('\n');
        String input = lines + "x".repeat(100_000) + "\nlast line héllo\n";
        var run = grid.api.cliWithStdin(input, "run", "-a", "piped", "cat; echo to-stderr >&2; exit 5");
        assertEquals(5, run.exitCode(), run.err());
        assertEquals(input, run.out(), "stdin round-trips through the command whole, bytes and order, and stdout carries nothing else");
        assertTrue(run.err().contains("to-stderr"), run.err());
        assertTrue(run.err().matches("(?s)Running cat; echo to-stderr >&2; exit 5 on piped\\.\\.\\. .*up, run\\.piped-run-[0-9a-f]{8}\n.*"), run.err());
        Eventually.await("the run's job gone with its session", Duration.ofSeconds(10),
                () -> jobs("piped").stream().filter(j -> j.path("type").asText().equals("run")).count(), n -> n == 0);
        assertTrue(grid.store.list(dev.grid.store.Keys.RUNS).entries().stream().noneMatch(e -> e.name().startsWith("piped-")), "and its run key");
    }

    /** Runs tmux with these arguments; its output. */
    private static String tmux(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tmux"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "tmux " + args[0] + " ended");
        assertEquals(0, p.exitValue(), "tmux " + String.join(" ", args) + ": " + out);
        return out;
    }

    private static boolean hasLine(String pane, String line) {
        return pane.lines().anyMatch(l -> l.strip().equals(line));
    }

    /** What the pane shows once {@code shown} says it shows what was waited for. */
    private static String pane(String session, String what, java.util.function.Predicate<String> shown) {
        return Eventually.await(what, Duration.ofSeconds(20), () -> {
            try {
                return tmux("capture-pane", "-p", "-t", session);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, shown);
    }

    @Test
    void anInteractiveRunIsAShellInARealTerminalWithItsSizeAndItsExitCode() throws Exception {
        grid.api.deployWeb("shell");
        java.nio.file.Path jar = java.nio.file.Path.of("../../cli/target/grid-cli.jar").toAbsolutePath().normalize();
        assertTrue(java.nio.file.Files.isRegularFile(jar), "the CLI's jar is built before these tests (mvn package of cli): " + jar);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("grid-run-tty");
        java.nio.file.Path script = dir.resolve("session.sh");
        // The real CLI in a real terminal: the session's end says its exit code, and the pane stays for it to be read.
        java.nio.file.Files.writeString(script, "export GRID_URL=" + grid.controller.url() + " GRID_TOKEN=" + grid.token + " GRID_HOME=" + dir + "\n"
                + "java -jar " + jar + " run -a shell bash\necho \"EXIT=$?\"\nsleep 600\n");
        String session = "grid-test-run-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "sh " + script);
        try {
            pane(session, "a shell prompt from the app's container", p -> p.contains("up, run.shell-run-") && p.stripTrailing().endsWith("$"));
            tmux("send-keys", "-t", session, "echo sum-$((6*7))", "Enter");
            pane(session, "the shell's answer", p -> hasLine(p, "sum-42"));
            tmux("send-keys", "-t", session, "stty size", "Enter");
            pane(session, "the terminal's size, as the container's TTY has it", p -> hasLine(p, "40 120"));
            tmux("resize-window", "-t", session, "-x", "100", "-y", "30");
            // The new size reaches the container once the CLI has had its SIGWINCH and sent it on: a
            // stty typed before that still says the old size (seen in CI), so it is asked again.
            String resized = "";
            for (long until = System.nanoTime() + Duration.ofSeconds(20).toNanos(); !hasLine(resized, "30 100") && System.nanoTime() < until; ) {
                tmux("send-keys", "-t", session, "clear; stty size", "Enter");
                Thread.sleep(1000);
                resized = tmux("capture-pane", "-p", "-t", session);
            }
            assertTrue(hasLine(resized, "30 100"), "the new size passed on within 20 s; last seen: " + resized.strip());
            // cat round-trips what is typed (the TTY echoes the line, cat writes it back), until ^D.
            tmux("send-keys", "-t", session, "clear; cat", "Enter");
            // Typed only once the screen is cleared: a line echoed before the clear would be wiped with it.
            pane(session, "the screen cleared for cat", p -> !hasLine(p, "30 100"));
            tmux("send-keys", "-t", session, "hello-cat", "Enter");
            pane(session, "the line twice: typed, then cat's", p -> p.split("hello-cat", -1).length == 3);
            tmux("send-keys", "-t", session, "C-d");
            tmux("send-keys", "-t", session, "echo cat-ended; exit 3", "Enter");
            String end = pane(session, "the session's end", p -> p.contains("EXIT="));
            assertTrue(hasLine(end, "cat-ended") && hasLine(end, "EXIT=3"), "the command's own exit code: " + end);
        } finally {
            tmux("kill-session", "-t", session);
        }
        Eventually.await("the run's job gone with its session", Duration.ofSeconds(10),
                () -> jobs("shell").stream().filter(j -> j.path("type").asText().equals("run")).count(), n -> n == 0);
    }

    @Test
    @org.junit.jupiter.api.Timeout(30)
    void eventsStreamEveryChangeAsItHappens() throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(grid.controller.url() + "/events"))
                .header("Authorization", "Bearer " + grid.token).build();
        var response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        var lines = response.body().iterator();
        grid.api.deployWeb("evented");
        List<String> seen = new ArrayList<>();
        while (lines.hasNext() && seen.stream().noneMatch(l -> l.contains("\"key\":\"status/evented-web"))) {
            String line = lines.next();
            if (line.startsWith("data:")) seen.add(line);
        }
        assertTrue(seen.get(0).contains("\"type\":\"connected\""), seen.get(0));
        assertTrue(seen.get(1).contains("\"type\":\"put\",\"key\":\"apps/evented\""), seen.get(1));
        assertTrue(seen.stream().anyMatch(l -> l.contains("\"key\":\"formations/evented\"")), String.join("\n", seen));
        assertTrue(seen.stream().anyMatch(l -> l.contains("\"key\":\"jobs/" + grid.hostId("a") + "/evented-web-")), String.join("\n", seen));
        response.body().close();
    }

    @Test
    void appsInfoAndReleasesShowWhatRuns() {
        grid.api.deployWeb("info");
        var info = grid.api.cli("apps:info", "-a", "info");
        assertTrue(info.out().contains("Release:   v1 " + TestCluster.STACK_IMAGE), info.out());
        assertTrue(info.out().contains("web=1"), info.out());
        var releases = grid.api.cli("releases", "-a", "info", "--json");
        assertEquals(0, releases.exitCode());
        assertTrue(releases.out().contains("\"version\" : 1"), releases.out());
        var status = grid.api.cli("status");
        assertTrue(status.out().contains(grid.hostId("a")) && status.out().contains(ADDRESS), status.out());
        var destroy = grid.api.cli("apps:destroy", "info");
        assertEquals(1, destroy.exitCode(), "destroy without --confirm is refused");
        assertTrue(destroy.err().contains("--confirm info"), destroy.err());
        assertEquals(0, grid.api.cli("apps:destroy", "info", "--confirm", "info").exitCode());
        Eventually.await("its jobs stopped", Duration.ofSeconds(10),
                () -> grid.store.list("jobs/").entries().stream().filter(e -> e.value().contains("\"app\":\"info\"")).count(), n -> n == 0);
    }

    /** More than the host can take: said by ps:scale at once, then by ps and status, and written (so logged) once. */
    @Test
    void aScaleBeyondTheHostsMemoryIsSaidAtOnceAndShownAsUnplacedWithTheReason() {
        grid.api.ok("POST", "/apps", "{\"name\":\"big\"}");
        grid.api.ok("POST", "/apps/big/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + "\"exec sleep 1000\",\"memoryMb\":3000}}}");
        var scaled = grid.api.cli("ps:scale", "-a", "big", "web=4");
        assertEquals(0, scaled.exitCode(), scaled.err());
        assertTrue(scaled.out().contains("now web=4"), scaled.out());
        assertTrue(scaled.err().contains("web jobs cannot be placed now: no host has 3,000 MB free ("), scaled.err());

        JsonNode unplaced = Eventually.await("an unplaced row", Duration.ofSeconds(10), () -> jobs("big"),
                j -> j.stream().anyMatch(x -> x.path("state").asText().equals("unplaced"))).stream()
                .filter(x -> x.path("state").asText().equals("unplaced")).findFirst().orElseThrow();
        long placed = jobs("big").stream().filter(x -> !x.path("state").asText().equals("unplaced")).count();
        assertTrue(placed <= 2, "8,192 MB take at most two of 3,000 MB: " + placed);
        assertTrue(unplaced.path("message").asText().startsWith((4 - placed) + " jobs cannot be placed: no host has 3,000 MB free ("), unplaced.toString());
        assertTrue(unplaced.path("message").asText().contains("of 8,192 MB reserved"), unplaced.toString());
        var ps = grid.api.cli("ps", "-a", "big");
        assertTrue(ps.out().contains("unplaced") && ps.out().contains("no host has 3,000 MB free"), ps.out());
        var status = grid.api.cli("status");
        assertTrue(status.out().contains("UNPLACED: " + (4 - placed) + " web job(s) of big"), status.out());
        assertTrue(status.out().matches("(?s).*[0-9,]+ / [0-9,]+ / 8,192 MB.*"), status.out());

        // The same reason is written once, not on every round (the scheduler logs it when it writes it).
        long written = grid.store.get("unplaced/big/web").orElseThrow().modRevision();
        Eventually.sleep(3000);
        assertEquals(written, grid.store.get("unplaced/big/web").orElseThrow().modRevision(), "rewritten although nothing changed");

        assertEquals(0, grid.api.cli("ps:scale", "-a", "big", "web=" + placed).exitCode());
        Eventually.await("no unplaced row once the scale fits", Duration.ofSeconds(10), () -> jobs("big"),
                j -> j.stream().noneMatch(x -> x.path("state").asText().equals("unplaced")));
        assertTrue(grid.store.get("unplaced/big/web").isEmpty());
        assertEquals(0, grid.api.cli("apps:destroy", "big", "--confirm", "big").exitCode());
        Eventually.await("its jobs stopped", Duration.ofSeconds(15),
                () -> grid.store.list("jobs/").entries().stream().filter(e -> e.value().contains("\"app\":\"big\"")).count(), n -> n == 0);
    }

    @Test
    void psResizeSetsTheReservationAndTheLimitKeepsThemOverDeploysAndRollbackBringsTheOldSizeBack() throws Exception {
        grid.api.deployWeb("sized");
        Eventually.await("web up", Duration.ofSeconds(20), () -> upJobs("sized").size(), n -> n == 1);
        int releases = grid.api.ok("GET", "/apps/sized/releases", null).size();
        for (var bad : List.of(List.of("worker=512", "unknown process type 'worker': release v1 has web"),
                List.of("web=8", "cannot resize web to 8 MB: give 32 to"), List.of("web=lots", "give megabytes as a whole number"))) {
            var refused = grid.api.cli("ps:resize", "-a", "sized", bad.get(0));
            assertNotEquals(0, refused.exitCode(), bad.get(0));
            assertTrue(refused.err().contains(bad.get(1)), refused.err());
        }
        assertEquals(releases, grid.api.ok("GET", "/apps/sized/releases", null).size(), "a refused resize makes no release");

        var resized = grid.api.cli("ps:resize", "-a", "sized", "web=128");
        assertEquals(0, resized.exitCode(), resized.err());
        assertTrue(resized.out().contains("done, v2: web=128 MB"), resized.out());
        JsonNode job = Eventually.await("a web job of 128 MB up, the old one gone", Duration.ofSeconds(30), () -> upJobs("sized"),
                j -> j.size() == 1 && j.get(0).path("memoryMb").asLong() == 128).get(0);
        String container = grid.containers("a").stream().filter(c -> job.path("id").asText().equals(c.labels().get("grid.job")))
                .findFirst().orElseThrow().id();
        Process inspect = new ProcessBuilder("docker", "inspect", "-f", "{{.HostConfig.Memory}}", container).redirectErrorStream(true).start();
        assertEquals(String.valueOf(128L << 20), new String(inspect.getInputStream().readAllBytes()).strip(), "the container's limit is the size");
        assertTrue(grid.api.cli("ps", "-a", "sized").out().contains("128 MB"));
        assertEquals("Resize web to 128 MB", grid.api.ok("GET", "/apps/sized/releases/v2", null).path("description").asText());

        // A new deploy that gives no size keeps it; a rollback to before the resize brings the old size back.
        grid.api.ok("POST", "/apps/sized/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + TestApi.JSON.valueToTree(TestCluster.WEB) + "}}}");
        assertEquals(128, grid.api.ok("GET", "/apps/sized/releases/v3", null).path("processes").path("web").path("memoryMb").asLong());
        assertEquals(0, grid.api.cli("releases:rollback", "-a", "sized", "v1").exitCode());
        assertEquals(256, grid.api.ok("GET", "/apps/sized/releases/v4", null).path("processes").path("web").path("memoryMb").asLong());
        Eventually.await("the web job back at 256 MB", Duration.ofSeconds(30), () -> upJobs("sized"),
                j -> j.size() == 1 && j.get(0).path("memoryMb").asLong() == 256);
        assertEquals(0, grid.api.cli("apps:destroy", "sized", "--confirm", "sized").exitCode());
    }
}
