package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.host.Docker;
import dev.grid.testing.Eventually;
import dev.grid.testing.Scrape;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The all-in-one server as `grid up` runs it (own local etcd under GRID_HOME),
 * stopped and started again as `grid down` and `grid up` do, and then restarted as for an
 * upgrade, its workloads running throughout.
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(OwnServer.LOCK)
class GridServerTest {
    @Test
    void downStopsJobsKeepsStateAndVolumesAndUpBringsThemBack() throws Exception {
        OwnServer own = new OwnServer("srv", "127.0.0.4", "25000-25099", "32000-32009");
        Path home = own.home;
        String hostId = own.hostId;
        Map<String, String> env = own.env;
        env.put("GRID_METRICS_PORT", "0");
        Docker docker = new Docker(Docker.DEFAULT_HOST);
        String volume = hostId + "-keep";
        GridServer server = own.start();
        try {
            var api = own.api();
            assertEquals(0, api.cli("apps:create", "keeper").exitCode());
            assertEquals(0, api.cli("deploy", "-a", "keeper", "--image", TestCluster.STACK_IMAGE, "--process", "web=" + TestCluster.WEB).exitCode());
            // A volume-bound worker counts its runs in its volume.
            api.ok("POST", "/apps/keeper/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                    + new ObjectMapper().valueToTree(TestCluster.WEB) + "},\"worker\":{\"command\":\"echo run >> /v/runs; echo runs=$(wc -l < /v/runs); exec sleep 1000\","
                    + "\"volumes\":[{\"name\":\"" + volume + "\",\"path\":\"/v\"}]}}}");
            assertEquals(0, api.cli("ps:scale", "-a", "keeper", "web=2", "worker=1").exitCode());
            Eventually.await("3 jobs up", Duration.ofSeconds(20), () -> api.upJobs("keeper").size(), n -> n == 3);
            // A Postgres add-on: its three nodes share this one host.
            assertEquals(0, api.cli("addons:create", "postgres", "-a", "keeper").exitCode());
            String databaseUrl = api.ok("GET", "/apps/keeper/config", null).path("DATABASE_URL").asText();
            assertEquals("", TestCluster.psql(databaseUrl, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before down')"));
            // The attachment made a release that restarts every process; let that settle before going down.
            String newest = Eventually.await("the add-on's release", Duration.ofSeconds(5), () -> newestRelease(api), r -> r != null);
            Eventually.await("3 jobs up on the add-on's release", Duration.ofSeconds(30), () -> api.upJobs("keeper"),
                    jobs -> jobs.size() == 3 && jobs.stream().allMatch(j -> j.path("releaseId").asText().equals(newest)));
            int runsBefore = Eventually.await("the worker's run on the add-on's release in its log", Duration.ofSeconds(5),
                    () -> maxRuns(api.cli("logs", "-a", "keeper").out()), n -> n >= 2);

            String status = api.cli("status").out();
            assertTrue(status.matches("(?s).*" + hostId + "\\s+127\\.0\\.0\\.4\\s+kernel.*"), "the router says who carries TCP routes: " + status);
            String table = dev.grid.net.NftTable.tableName(hostId);
            assertTrue(dev.grid.net.Nft.run("list", "table", "inet", table).contains("jump route_to_"), "the add-on's route is in the kernel");

            // What an operator's Prometheus sees of this machine, on its metrics port with the scrape token.
            String token = api.cli("metrics:token").out().strip();
            String metrics = "http://127.0.0.4:" + server.metricsPort() + "/metrics";
            assertEquals("HTTP/1.1 200 OK", TestCluster.statusLine(Integer.parseInt(env.get("GRID_HTTP_PORT")), "keeper.localhost"));
            String scrape = Eventually.await("the add-on's nodes, its route's connections in the kernel and the routed request",
                    Duration.ofSeconds(30), () -> TestApi.get(metrics, token).body(),
                    m -> Scrape.sum(m, "grid_appliance_node_role", "appliance", "postgres", "role", "primary") == 1
                            && Scrape.sum(m, "grid_router_tcp_connections_total", "path", "kernel", "outcome", "accepted") >= 1
                            && Scrape.value(m, "grid_router_requests_total", "app", "keeper", "status", "200") >= 1);
            assertEquals(3.0, Scrape.sum(scrape, "grid_appliance_node_role", "appliance", "postgres", "cluster", "main"), "each node once: " + scrape);
            assertEquals(2, scrape.lines().filter(l -> l.startsWith("grid_appliance_replication_lag_bytes{")).count(), "each standby's lag");
            assertEquals(2.0, Scrape.value(scrape, "grid_jobs", "app", "keeper", "type", "web", "state", "up"));
            assertEquals(1.0, Scrape.value(scrape, "grid_jobs", "app", "keeper", "type", "worker", "state", "up"));
            assertEquals(0.0, Scrape.sum(scrape, "grid_router_tcp_connections_total", "path", "kernel", "outcome", "refused"));

            server.close(); // grid down
            assertEquals(0, docker.list(Map.of("grid.host", hostId)).size(), "grid down stops every job");
            assertThrows(IllegalStateException.class, () -> dev.grid.net.Nft.run("list", "table", "inet", table),
                    "grid down leaves no rule that captures a port");

            server = own.start(); // grid up again, same GRID_HOME
            Eventually.await("the same 3 jobs up again", Duration.ofSeconds(30), () -> api.upJobs("keeper").size(), n -> n == 3);
            JsonNode releases = api.ok("GET", "/apps/keeper/releases", null);
            assertEquals(3, releases.size(), "state survived in the local etcd (2 deploys, 1 add-on attachment)");
            var logs = Eventually.await("the worker's run after grid up in its log", Duration.ofSeconds(5),
                    () -> api.cli("logs", "-a", "keeper").out(), out -> out.contains("runs="));
            assertTrue(logs.contains("runs=" + (runsBefore + 1)), "the volume survived grid down (" + runsBefore + " runs before): " + logs);
            assertEquals(databaseUrl, api.ok("GET", "/apps/keeper/config", null).path("DATABASE_URL").asText());
            String kept = Eventually.await("the Postgres add-on serving again through the same DATABASE_URL", Duration.ofSeconds(60),
                    () -> TestCluster.psql(databaseUrl, "SELECT v FROM kept"), out -> out.equals("before down"));
            assertEquals("before down", kept);

            // A restart (kill -TERM, an upgrade, `grid down --keep-workloads`): the workloads keep running throughout.
            Eventually.await("the jobs settled after grid up", Duration.ofSeconds(30), () -> api.upJobs("keeper").size(), n -> n == 3);
            // And the add-on whole again, its sync confirmed: a primary commits nothing without one, and no manager runs while Grid is stopped.
            try (dev.grid.store.Store store = own.store()) {
                var keys = new dev.grid.appliance.ClusterKeys("postgres", "main");
                TestCluster.awaitWhole(store, keys, java.util.List.of("n0", "n1", "n2"));
                Eventually.await("the cluster's sync confirmed", Duration.ofSeconds(60),
                        () -> dev.grid.appliance.Clusters.state(store, keys).map(st -> st.syncReady()).orElse(false), ok -> ok);
            }
            java.util.Set<String> running = containerIds(docker, hostId);
            server.stop(false);
            assertEquals(running, containerIds(docker, hostId), "stopping Grid for a restart leaves every container running");
            assertEquals("", TestCluster.psql(databaseUrl, "INSERT INTO kept VALUES ('while Grid was down')"),
                    "the add-on takes writes while Grid is stopped (its route is in the kernel, its keepers' etcd runs)");
            Eventually.sleep(6000); // past the stopped agent's lease (GRID_LEASE_TTL 5 s): only the handover keeps its jobs registered
            server = own.start();
            // At once, before the new agent has looked at a container: the router finds the web jobs the restart handed over.
            assertEquals("HTTP/1.1 200 OK", TestCluster.statusLine(Integer.parseInt(env.get("GRID_HTTP_PORT")), "keeper.localhost"),
                    "the router serves the app as soon as Grid is back");
            Eventually.await("the same 3 jobs up after the restart", Duration.ofSeconds(30), () -> api.upJobs("keeper").size(), n -> n == 3);
            Eventually.sleep(3000); // a scheduler round or two, and the host agent's
            assertEquals(running, containerIds(docker, hostId), "the new server adopted them: the same containers, none replaced");
            assertEquals("before down\nwhile Grid was down", TestCluster.psql(databaseUrl, "SELECT v FROM kept ORDER BY v"));
        } finally {
            server.close();
            own.cleanUp();
        }
    }

    /** The ids of the host's running containers. */
    private static java.util.Set<String> containerIds(Docker docker, String hostId) {
        java.util.Set<String> ids = new java.util.TreeSet<>();
        for (var c : docker.list(Map.of("grid.host", hostId))) if (c.running()) ids.add(c.id());
        return ids;
    }

    private static String newestRelease(TestApi api) {
        JsonNode newest = null;
        for (JsonNode r : api.ok("GET", "/apps/keeper/releases", null)) {
            if (newest == null || r.path("version").asInt() > newest.path("version").asInt()) newest = r;
        }
        return newest == null || newest.path("version").asInt() < 3 ? null : newest.path("id").asText();
    }

    /** The highest "runs=N" the worker has logged. */
    private static int maxRuns(String logs) {
        return java.util.regex.Pattern.compile("runs=(\\d+)").matcher(logs).results()
                .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElse(0);
    }
}
