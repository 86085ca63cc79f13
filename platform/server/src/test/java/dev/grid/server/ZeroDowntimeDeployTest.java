package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deploys start the new jobs, move traffic once they are up, then drain and stop the old: no request fails. */
class ZeroDowntimeDeployTest {
    static TestCluster grid;
    static final String APP = "steady";
    static final String HOST = APP + ".grid.test";

    @BeforeAll
    static void start() {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
        grid.api.ok("POST", "/apps", "{\"name\":\"" + APP + "\"}");
        grid.api.ok("POST", "/apps/" + APP + "/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + TestApi.JSON.valueToTree(ConfigAndRollbackTest.GREETER) + "}},\"env\":{\"GREETING\":\"v0\"}}");
        grid.api.ok("PATCH", "/apps/" + APP + "/formation", "{\"processes\":{\"web\":2}}");
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    /** Done when every web job is of the current release and up, and no other job is left. */
    static boolean deployed(String releaseId) {
        List<JsonNode> jobs = grid.api.jobs(APP);
        return jobs.size() == 2 && jobs.stream().allMatch(j -> j.path("releaseId").asText().equals(releaseId) && j.path("state").asText().equals("up"));
    }

    @Test
    void fiveDeploysUnderSteadyLoadFailNoRequest() throws Exception {
        Eventually.await("the first release serving", Duration.ofSeconds(20), () -> RoutedAppTest.viaRouter(grid, HOST, "/"), "HTTP/1.1 200 OK | v0"::equals);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        Instant hardStop = Instant.now().plusSeconds(120);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String path = i % 2 == 0 ? "/" : "/slow"; // slow requests are in flight when old jobs are stopped
            Thread t = new Thread(() -> {
                while (running.get() && Instant.now().isBefore(hardStop)) {
                    String r = RoutedAppTest.viaRouter(grid, HOST, path);
                    if (r.startsWith("HTTP/1.1 200 OK | v")) ok.incrementAndGet();
                    else failures.merge(r, 1, Integer::sum);
                    Eventually.sleep(5);
                }
            });
            t.start();
            clients.add(t);
        }
        try {
            for (int deploy = 1; deploy <= 5; deploy++) {
                Instant started = Instant.now();
                JsonNode release = grid.api.ok("PATCH", "/apps/" + APP + "/config", "{\"set\":{\"GREETING\":\"v" + deploy + "\"}}");
                String id = release.path("id").asText();
                Eventually.await("deploy " + deploy + " complete", Duration.ofSeconds(30), () -> deployed(id), d -> d);
                String expected = "HTTP/1.1 200 OK | v" + deploy;
                Eventually.await("traffic on v" + deploy, Duration.ofSeconds(5), () -> RoutedAppTest.viaRouter(grid, HOST, "/"), expected::equals);
                System.out.println("deploy " + deploy + " done in " + Duration.between(started, Instant.now()).toMillis() + " ms");
            }
        } finally {
            running.set(false);
            for (Thread t : clients) t.join();
        }
        System.out.println("requests under deploys: " + ok.get() + " ok, failures " + failures);
        assertEquals(Map.of(), failures, "no request failed during five deploys");
        assertTrue(ok.get() > 100, "the load was real: " + ok.get());
    }

    @Test
    void aConfiguredHealthCheckHoldsTrafficUntilItPasses() {
        grid.api.ok("POST", "/apps", "{\"name\":\"healthy\"}");
        // /health answers 503 for the first 3 s of the process's life, then 200.
        String server = "node -e \"const t=Date.now();require('http').createServer((q,s)=>{if(q.url==='/health'){s.statusCode=Date.now()-t<3000?503:200}"
                + ";s.end('ok')}).listen(process.env.PORT)\"";
        grid.api.ok("POST", "/apps/healthy/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + TestApi.JSON.valueToTree(server) + "}},\"env\":{\"GRID_HEALTHCHECK_PATH\":\"/health\"}}");
        JsonNode starting = Eventually.await("the job held back by its health check", Duration.ofSeconds(10), () -> grid.api.jobs("healthy"),
                j -> j.size() == 1 && j.get(0).path("message").asText().contains("health check /health answered HTTP 503")).get(0);
        assertEquals("starting", starting.path("state").asText());
        assertTrue(RoutedAppTest.viaRouter(grid, "healthy.grid.test", "/").startsWith("HTTP/1.1 503"), "no traffic before it passes");
        Eventually.await("up once /health passes", Duration.ofSeconds(10), () -> grid.api.upJobs("healthy"), j -> j.size() == 1);
        Eventually.await("traffic", Duration.ofSeconds(5), () -> RoutedAppTest.viaRouter(grid, "healthy.grid.test", "/"), "HTTP/1.1 200 OK | ok"::equals);
    }
}
