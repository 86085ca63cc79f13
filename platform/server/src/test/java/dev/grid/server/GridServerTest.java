package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.host.Docker;
import dev.grid.store.LocalEtcd;
import dev.grid.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The all-in-one server as `grid up` runs it (own local etcd under GRID_HOME),
 * stopped and started again as `grid down` and `grid up` do.
 */
class GridServerTest {
    @Test
    void downStopsJobsKeepsStateAndVolumesAndUpBringsThemBack() throws Exception {
        Path home = Files.createTempDirectory("grid-home");
        String hostId = "srv" + Long.toHexString(System.nanoTime()).substring(6);
        Map<String, String> env = new HashMap<>(Map.of(
                "GRID_HOME", home.toString(),
                "GRID_ETCD_PORT", String.valueOf(LocalEtcd.freePort()),
                "GRID_API_PORT", String.valueOf(LocalEtcd.freePort()),
                "GRID_HOST_ID", hostId,
                "GRID_HOST_ADDRESS", "127.0.0.4",
                "GRID_PORT_RANGE", "25000-25099",
                "GRID_LEASE_TTL", "5",
                "GRID_TCP_PORT_RANGE", "32000-32009"));
        for (String port : new String[] {"GRID_HTTP_PORT", "GRID_HTTPS_PORT", "GRID_SSH_PORT", "GRID_BLOB_PORT"}) {
            env.put(port, String.valueOf(LocalEtcd.freePort()));
        }
        env.put("GRID_ROUTER_ADDRESS", "127.0.0.1");
        ServerConfig config = ServerConfig.fromEnv(env);
        Docker docker = new Docker(Docker.DEFAULT_HOST);
        String volume = hostId + "-keep";
        GridServer server = new GridServer();
        try {
            server.start(config, config.token(env));
            JsonNode cli = new ObjectMapper().readTree(home.resolve("cli.json").toFile());
            var api = new TestApi(cli.path("url").asText(), cli.path("token").asText());
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

            server.close(); // grid down
            assertEquals(0, docker.list(Map.of("grid.host", hostId)).size(), "grid down stops every job");

            server = new GridServer();
            server.start(config, config.token(env)); // grid up again, same GRID_HOME
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
        } finally {
            server.close();
            docker.removeVolumes(Map.of("grid.managed", "true"), v -> v.startsWith("grid-" + hostId + "-"));
        }
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
