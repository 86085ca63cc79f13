package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.builder.BuildLimits;
import dev.grid.builder.GitServer;
import dev.grid.testing.Eventually;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real git client pushing over SSH to Grid's git server; builds run in containers; apps answer through the router. */
class GitPushTest {
    static TestCluster grid;
    static GitServer git;
    static TestGit pusher;

    @BeforeAll
    static void start() throws Exception {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
        git = grid.startGit(BuildLimits.DEFAULTS);
        pusher = new TestGit(grid);
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    static TestGit.Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        return pusher.run(dir, command);
    }

    static Path repo(String name, Map<String, String> files) throws Exception {
        return pusher.repo(name, files);
    }

    static TestGit.Result push(Path dir, String app, String refspec) throws Exception {
        return pusher.push(dir, app, refspec);
    }

    static TestGit.Result commitAndPush(Path dir, String app, String file, String content) throws Exception {
        return pusher.commitAndPush(dir, app, file, content);
    }

    static final String NODE_SERVER = "require('http').createServer((q,s)=>s.end('pushed '+require('./package.json').version)).listen(process.env.PORT)\n";

    static long buildMs(String output) {
        var m = java.util.regex.Pattern.compile("\\(build (\\d+) ms\\)").matcher(output);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String packageJson(String version) {
        return "{\"name\":\"pushnode\",\"version\":\"" + version + "\",\"scripts\":{\"start\":\"node server.js\"},"
                + "\"engines\":{\"node\":\"20.x\"},\"dependencies\":{\"is-number\":\"7.0.0\"}}\n";
    }

    @Test
    void aNodeAppIsBuiltByItsBuildpackStreamedServedAndRebuiltFromItsCache() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushnode\"}");
        Path src = repo("node", Map.of("package.json", packageJson("1.0.0"),
                "server.js", "require('is-number');" + NODE_SERVER));
        long t0 = System.nanoTime();
        TestGit.Result first = push(src, "pushnode", "main");
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("remote: -----> Node.js app detected"), first.output());
        assertTrue(first.output().contains("No npm cache yet"), first.output());
        assertTrue(first.output().contains("asks for node '20.x'"), "engines the stack cannot honour get a warning: " + first.output());
        assertTrue(first.output().contains("http://pushnode.grid.test/ deployed to Grid"), first.output());
        Eventually.await("the app through the router", Duration.ofSeconds(10),
                () -> RoutedAppTest.viaRouter(grid, "pushnode.grid.test", "/"), "HTTP/1.1 200 OK | pushed 1.0.0"::equals);

        t0 = System.nanoTime();
        TestGit.Result second = commitAndPush(src, "pushnode", "package.json", packageJson("1.0.1"));
        long secondMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, second.exit(), second.output());
        assertTrue(second.output().contains("Reusing the npm cache of earlier builds"), second.output());
        Eventually.await("v2 through the router", Duration.ofSeconds(10),
                () -> RoutedAppTest.viaRouter(grid, "pushnode.grid.test", "/"), "HTTP/1.1 200 OK | pushed 1.0.1"::equals);
        System.out.printf("push timings: first %d ms (build %d ms), second with warm cache %d ms (build %d ms); platform overhead %d ms%n",
                firstMs, buildMs(first.output()), secondMs, buildMs(second.output()), secondMs - buildMs(second.output()));

        // A bad Procfile fails the push and names the line; the running release keeps serving.
        Files.writeString(src.resolve("Procfile"), "web: npm start\nworker sidekiq\n");
        run(src, List.of("git", "add", "Procfile"));
        TestGit.Result bad = commitAndPush(src, "pushnode", "package.json", packageJson("2.0.0"));
        assertTrue(bad.exit() != 0, bad.output());
        assertTrue(bad.output().contains("Procfile line 2: expected 'type: command'"), bad.output());
        assertEquals("HTTP/1.1 200 OK | pushed 1.0.1", RoutedAppTest.viaRouter(grid, "pushnode.grid.test", "/"));

        // Each build's duration is in the metrics, by result.
        String scrape = grid.metrics.scrape();
        assertEquals(2.0, dev.grid.testing.Scrape.value(scrape, "grid_build_duration_seconds_count", "app", "pushnode", "result", "succeeded"), scrape);
        assertEquals(1.0, dev.grid.testing.Scrape.value(scrape, "grid_build_duration_seconds_count", "app", "pushnode", "result", "failed"));
        double seconds = dev.grid.testing.Scrape.value(scrape, "grid_build_duration_seconds_sum", "app", "pushnode", "result", "succeeded");
        assertTrue(seconds * 1000 >= buildMs(first.output()) + buildMs(second.output()), "the builds' own time is within it: " + seconds + " s");
    }

    @Test
    void aRenamedAppKeepsItsCodeConfigAndRoutesAndANewAppOfItsOldNameStartsEmpty() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"before-rename\"}");
        String pkg = "{\"name\":\"renamed\",\"version\":\"%s\",\"scripts\":{\"start\":\"node server.js\"}}\n";
        Path src = repo("renamed", Map.of("package.json", String.format(pkg, "1.0.0"), "server.js", NODE_SERVER));
        run(src, List.of("git", "remote", "add", "grid", pusher.url("before-rename")));
        TestGit.Result first = run(src, List.of("git", "push", "grid", "main"));
        assertEquals(0, first.exit(), first.output());
        assertEquals(0, grid.api.cli("config:set", "GREETING=kept", "-a", "before-rename").exitCode());
        assertEquals(0, grid.api.cli("routes:add", "http", "www.renamed.test", "-a", "before-rename").exitCode());
        Eventually.await("served under its first name", Duration.ofSeconds(20),
                () -> RoutedAppTest.viaRouter(grid, "before-rename.grid.test", "/"), "HTTP/1.1 200 OK | pushed 1.0.0"::equals);

        // Renamed from its checkout, as on Heroku: the checkout's remote follows.
        var renamed = grid.api.cliIn(src, "apps:rename", "before-rename", "after-rename");
        assertEquals(0, renamed.exitCode(), renamed.err());
        assertTrue(renamed.out().contains("Git remote grid updated: " + pusher.url("after-rename")), renamed.out());
        assertEquals(pusher.url("after-rename"), run(src, List.of("git", "remote", "get-url", "grid")).output().strip());
        Eventually.await("served under its new name", Duration.ofSeconds(30),
                () -> RoutedAppTest.viaRouter(grid, "after-rename.grid.test", "/"), "HTTP/1.1 200 OK | pushed 1.0.0"::equals);
        assertEquals("HTTP/1.1 200 OK | pushed 1.0.0", RoutedAppTest.viaRouter(grid, "www.renamed.test", "/"), "its own domain follows");
        assertTrue(RoutedAppTest.viaRouter(grid, "before-rename.grid.test", "/").startsWith("HTTP/1.1 404"), "the old name serves nothing");
        assertEquals("kept", grid.api.config("after-rename").get("GREETING"));
        assertTrue(grid.api.cli("apps:info", "-a", "before-rename").exitCode() != 0);
        Eventually.await("no job left under the old name", Duration.ofSeconds(20), () -> grid.store.values(dev.grid.store.Keys.JOBS, dev.grid.core.JobSpec.class)
                .stream().filter(j -> j.app().equals("before-rename")).count(), n -> n == 0);

        // The repository came along: the next push sends only the new commit, and deploys.
        Files.writeString(src.resolve("package.json"), String.format(pkg, "1.0.1"));
        run(src, List.of("git", "commit", "-q", "-am", "after the rename"));
        TestGit.Result next = run(src, List.of("git", "push", "grid", "main"));
        assertEquals(0, next.exit(), next.output());
        Eventually.await("the push after the rename served", Duration.ofSeconds(20),
                () -> RoutedAppTest.viaRouter(grid, "after-rename.grid.test", "/"), "HTTP/1.1 200 OK | pushed 1.0.1"::equals);

        // A new app that takes the old name is another tenant: nothing of the renamed app's history is there.
        grid.api.ok("POST", "/apps", "{\"name\":\"before-rename\"}");
        TestGit.Result refs = run(src, List.of("git", "ls-remote", pusher.url("before-rename")));
        assertEquals(0, refs.exit(), refs.output());
        assertEquals("", refs.output().strip(), "an empty repository");

        // Bad input changes nothing.
        var taken = grid.api.cli("apps:rename", "after-rename", "before-rename");
        assertTrue(taken.exitCode() != 0 && taken.err().contains("the name 'before-rename' is taken"), taken.err());
        var reserved = grid.api.cli("apps:rename", "after-rename", "grid-mine");
        assertTrue(reserved.exitCode() != 0 && reserved.err().contains("reserved for Grid's own apps"), reserved.err());
        var missing = grid.api.cli("apps:rename", "no-such-app", "whatever");
        assertTrue(missing.exitCode() != 0 && missing.err().contains("no app named 'no-such-app'"), missing.err());
        assertEquals("HTTP/1.1 200 OK | pushed 1.0.1", RoutedAppTest.viaRouter(grid, "after-rename.grid.test", "/"));
    }

    /** Two pushes to one app at once: one deploys, the other waits, is told so, and is refused before it builds anything. */
    @Test
    void twoPushesToOneAppAtOnceNeverBothDeploy() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushpair\"}");
        String server = "require('http').createServer((q,s)=>s.end(require('fs').readFileSync('v','utf8').trim())).listen(process.env.PORT)\n";
        Path base = repo("pair", Map.of("Procfile", "web: node server.js\n", "server.js", server, "v", "v0\n"));
        assertEquals(0, push(base, "pushpair", "main").exit());
        int releasesBefore = grid.api.ok("GET", "/apps/pushpair/releases", null).size();
        // Two checkouts of that commit, each with a change of its own.
        java.util.List<Path> clones = new java.util.ArrayList<>();
        for (String who : java.util.List.of("a", "b")) {
            Path c = base.resolveSibling("src-pair-" + who);
            assertEquals(0, pusher.run(base.getParent(), "cp", "-r", base.toString(), c.toString()).exit());
            Files.writeString(c.resolve("v"), who + "\n");
            assertEquals(0, pusher.run(c, "git", "commit", "-q", "-am", "from " + who).exit());
            clones.add(c);
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var pushes = new java.util.ArrayList<java.util.concurrent.Future<TestGit.Result>>();
            for (Path c : clones) pushes.add(pool.submit(() -> push(c, "pushpair", "main")));
            TestGit.Result one = pushes.get(0).get(180, java.util.concurrent.TimeUnit.SECONDS);
            TestGit.Result two = pushes.get(1).get(180, java.util.concurrent.TimeUnit.SECONDS);
            TestGit.Result won = one.exit() == 0 ? one : two;
            TestGit.Result lost = one.exit() == 0 ? two : one;
            assertEquals(0, won.exit(), one.output() + "\n---\n" + two.output());
            assertTrue(lost.exit() != 0, "git must not report both as deployed:\n" + one.output() + "\n---\n" + two.output());
            assertTrue(lost.output().contains("another push to pushpair is being built and deployed: waiting for it to finish"), lost.output());
            assertTrue(lost.output().contains("moved on while this push waited") && lost.output().contains("pull it, then push again"), lost.output());
            assertFalse(lost.output().contains("detected"), "refused before any build: " + lost.output());
            String winner = won == one ? "a" : "b";
            assertEquals(releasesBefore + 1, grid.api.ok("GET", "/apps/pushpair/releases", null).size(), "one release, not two");
            Eventually.await("the winner serving", Duration.ofSeconds(20), () -> RoutedAppTest.viaRouter(grid, "pushpair.grid.test", "/"),
                    ("HTTP/1.1 200 OK | " + winner)::equals);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void otherBranchesUnknownAppsAndCrashingReleasesAreRefusedWithTheReason() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushproc\"}");
        Path src = repo("proc", Map.of("Procfile", "web: node server.js\n", "server.js", "require('http').createServer((q,s)=>s.end('procfile v1')).listen(process.env.PORT)\n"));
        TestGit.Result wrongBranch = push(src, "pushproc", "main:feature");
        assertTrue(wrongBranch.exit() != 0);
        assertTrue(wrongBranch.output().contains("only main or master deploys"), wrongBranch.output());

        TestGit.Result unknown = push(src, "nosuchapp", "main");
        assertTrue(unknown.exit() != 0);

        TestGit.Result ok = push(src, "pushproc", "main");
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("-----> Procfile app detected"), ok.output());
        Eventually.await("v1 serving", Duration.ofSeconds(10), () -> RoutedAppTest.viaRouter(grid, "pushproc.grid.test", "/"), "HTTP/1.1 200 OK | procfile v1"::equals);

        TestGit.Result crash = commitAndPush(src, "pushproc", "server.js", "process.exit(3)\n");
        assertTrue(crash.exit() != 0, crash.output());
        assertTrue(crash.output().contains("crashed on boot") && crash.output().contains("the previous release keeps serving"), crash.output());
        assertEquals("HTTP/1.1 200 OK | procfile v1", RoutedAppTest.viaRouter(grid, "pushproc.grid.test", "/"));
    }

    @Test
    void theReleaseCommandRunsBeforeGoingLiveAndItsFailureAbortsTheDeploy() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushrel\"}");
        grid.api.ok("PATCH", "/apps/pushrel/config", "{\"set\":{\"SCHEMA\":\"v7\"}}");
        String server = "require('http').createServer((q,s)=>s.end('release ok')).listen(process.env.PORT)\n";
        Path src = repo("rel", Map.of("Procfile", "web: node server.js\nrelease: echo migrating to $SCHEMA from $(pwd)\n", "server.js", server));
        TestGit.Result ok = push(src, "pushrel", "main");
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("Running release command"), ok.output());
        assertTrue(ok.output().contains("migrating to v7 from /app"), "it ran with the config, in the new code: " + ok.output());
        Eventually.await("serving", Duration.ofSeconds(10), () -> RoutedAppTest.viaRouter(grid, "pushrel.grid.test", "/"), "HTTP/1.1 200 OK | release ok"::equals);

        TestGit.Result failing = commitAndPush(src, "pushrel", "Procfile", "web: node server.js\nrelease: echo broken migration; exit 4\n");
        assertTrue(failing.exit() != 0, failing.output());
        assertTrue(failing.output().contains("the release command failed (exit code 4)"), failing.output());
        assertEquals(2, grid.api.ok("GET", "/apps/pushrel/releases", null).size(), "no release was made (v1 config, v2 first push)");
        assertEquals("HTTP/1.1 200 OK | release ok", RoutedAppTest.viaRouter(grid, "pushrel.grid.test", "/"));
    }

    @Test
    void aDockerfileAppIsBuiltIntoAnImageAndRunsItsCommand() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushdocker\"}");
        Path src = repo("docker", Map.of(
                "Dockerfile", "FROM " + TestCluster.STACK_IMAGE + "\nCOPY server.js /srv/server.js\nCMD [\"node\", \"/srv/server.js\"]\n",
                "server.js", "require('http').createServer((q,s)=>s.end('from a Dockerfile')).listen(process.env.PORT)\n"));
        TestGit.Result pushed = push(src, "pushdocker", "main");
        assertEquals(0, pushed.exit(), pushed.output());
        assertTrue(pushed.output().contains("Dockerfile app detected"), pushed.output());
        Eventually.await("served", Duration.ofSeconds(10), () -> RoutedAppTest.viaRouter(grid, "pushdocker.grid.test", "/"),
                "HTTP/1.1 200 OK | from a Dockerfile"::equals);
        var release = grid.api.ok("GET", "/apps/pushdocker/releases/v1", null);
        assertEquals("node /srv/server.js", release.path("processes").path("web").path("command").asText());

        // Stored in the blob store for every host; a host without the image loads it from there.
        String image = release.path("image").asText();
        var archive = Eventually.await("the image stored for every host", Duration.ofSeconds(180),
                () -> grid.store.get(dev.grid.store.Keys.image(image), dev.grid.core.ImageArchive.class), java.util.Optional::isPresent).orElseThrow();
        assertEquals(grid.docker.imageId(image), archive.id());
        for (var layer : archive.layers()) {
            assertTrue(grid.blobs.file(dev.grid.core.ImageArchive.blobName(layer.diffId())).isPresent(), "layer " + layer.diffId() + " stored");
        }
        grid.docker.removeImage(image); // as on a host that never had it (the running container keeps its layers)
        assertFalse(grid.docker.hasImage(image));
        assertEquals(0, grid.api.cli("ps:scale", "-a", "pushdocker", "web=2").exitCode());
        Eventually.await("a second web job up, from the image loaded back", Duration.ofSeconds(60), () -> grid.api.upJobs("pushdocker").size(), n -> n == 2);
        assertTrue(grid.docker.hasImage(image), "loaded from the blob store");
        assertEquals(archive.id(), grid.docker.imageId(image));
        grid.api.ok("DELETE", "/apps/pushdocker", null);
        Eventually.await("its jobs gone", Duration.ofSeconds(15), () -> grid.api.call("GET", "/apps/pushdocker", null).status(), s -> s == 404);
        Eventually.await("its containers gone", Duration.ofSeconds(15), () -> grid.containers("a").stream()
                .filter(c -> "pushdocker".equals(c.labels().get("grid.app"))).count(), n -> n == 0);
        grid.docker.removeImage(release.path("image").asText());
    }

    static final String POM = """
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>test</groupId><artifactId>hello</artifactId><version>1.0</version>
              <properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
              <build><plugins>
                <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
                <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
                <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.2</version></plugin>
                <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
                  <configuration><archive><manifest><mainClass>App</mainClass></manifest></archive></configuration></plugin>
              </plugins></build>
            </project>
            """;

    @Test
    void aJavaMavenAppIsBuiltByMavenAndServed() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushjava\"}");
        Path src = repo("java", Map.of("pom.xml", POM, "src/main/java/App.java", """
                import com.sun.net.httpserver.HttpServer;
                import java.net.InetSocketAddress;
                public class App {
                    public static void main(String[] args) throws Exception {
                        HttpServer s = HttpServer.create(new InetSocketAddress(Integer.parseInt(System.getenv("PORT"))), 0);
                        s.createContext("/", e -> { byte[] b = "hello from maven".getBytes(); e.sendResponseHeaders(200, b.length); e.getResponseBody().write(b); e.close(); });
                        s.start();
                    }
                }
                """));
        long t0 = System.nanoTime();
        TestGit.Result pushed = push(src, "pushjava", "main");
        assertEquals(0, pushed.exit(), pushed.output());
        assertTrue(pushed.output().contains("-----> Java app detected"), pushed.output());
        assertTrue(pushed.output().contains("BUILD SUCCESS"), pushed.output());
        System.out.println("java push: " + (System.nanoTime() - t0) / 1_000_000 + " ms (build " + buildMs(pushed.output()) + " ms)");
        Eventually.await("served", Duration.ofSeconds(20), () -> RoutedAppTest.viaRouter(grid, "pushjava.grid.test", "/"),
                "HTTP/1.1 200 OK | hello from maven"::equals);
    }

    @Test
    void dotBuildpacksChoosesTheBuildpacksAndTheyRunInOrder() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushbp\"}");
        Path src = repo("bp", Map.of(
                ".buildpacks", "# ours first, then the built-in Node.js one\nmy-buildpack\n/buildpacks/packs/10-nodejs\n",
                "my-buildpack/bin/detect", "echo Greeting\n",
                "my-buildpack/bin/compile", "echo '       writing greeting.txt'; echo 'made by my buildpack' > $1/greeting.txt\n",
                "my-buildpack/bin/release", "echo ---\n",
                "package.json", "{\"name\":\"pushbp\",\"version\":\"1.0.0\",\"scripts\":{\"start\":\"node server.js\"}}\n",
                "server.js", "require('http').createServer((q,s)=>s.end(require('fs').readFileSync('greeting.txt'))).listen(process.env.PORT)\n"));
        TestGit.Result pushed = push(src, "pushbp", "main");
        assertEquals(0, pushed.exit(), pushed.output());
        String out = pushed.output();
        assertTrue(out.indexOf("Greeting app detected") < out.indexOf("Node.js app detected") && out.contains("writing greeting.txt"), out);
        Eventually.await("served", Duration.ofSeconds(10), () -> RoutedAppTest.viaRouter(grid, "pushbp.grid.test", "/"),
                "HTTP/1.1 200 OK | made by my buildpack\n"::equals);

        grid.api.ok("PATCH", "/apps/pushbp/config", "{\"set\":{\"BUILDPACK_URL\":\"no-such-dir\"}}");
        TestGit.Result bad = commitAndPush(src, "pushbp", "server.js", "// changed\n" + Files.readString(src.resolve("server.js")));
        assertTrue(bad.exit() != 0, bad.output());
        assertTrue(bad.output().contains("no buildpack at no-such-dir in the repository"), bad.output());
        assertEquals("HTTP/1.1 200 OK | made by my buildpack\n", RoutedAppTest.viaRouter(grid, "pushbp.grid.test", "/"), "a failed build leaves the release running");
    }

    @Test
    void aKeyThatWasNotAddedCannotPush() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"pushkey\"}");
        Path stranger = pusher.work.resolve("stranger");
        run(pusher.work, List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger.toString()));
        Path src = repo("key", Map.of("Procfile", "web: true\n"));
        ProcessBuilder pb = new ProcessBuilder("git", "push", "ssh://git@127.0.0.1:" + git.port() + "/pushkey.git", "main")
                .directory(src.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_SSH_COMMAND", "ssh -i " + stranger + " -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor() != 0, out);
        assertTrue(out.contains("Permission denied (publickey)"), out);
        assertEquals(0, grid.api.ok("GET", "/apps/pushkey/releases", null).size(), "nothing was deployed");
    }
}
