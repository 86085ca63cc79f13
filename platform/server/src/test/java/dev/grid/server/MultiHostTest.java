package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.host.Docker.Container;
import dev.grid.host.HostAgent;
import dev.grid.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two host agents on one machine (127.0.0.2 and 127.0.0.3, own port ranges and state), one scheduler. */
class MultiHostTest {
    static final long TTL = 4;
    TestCluster grid;
    HostAgent a;
    HostAgent b;

    @BeforeEach
    void start() {
        grid = new TestCluster(TTL);
        a = grid.startHost("a", "127.0.0.2");
        b = grid.startHost("b", "127.0.0.3");
    }

    @AfterEach
    void stop() {
        grid.close();
    }

    List<JsonNode> jobs(String app) {
        return grid.api.jobs(app);
    }

    List<JsonNode> up(String app) {
        return grid.api.upJobs(app);
    }

    static Map<String, Long> perHost(List<JsonNode> jobs) {
        return jobs.stream().collect(Collectors.groupingBy(j -> j.path("hostId").asText(), Collectors.counting()));
    }

    @Test
    void jobsSpreadOverBothHostsAndMoveOffAHostThatDies() {
        grid.api.deployWeb("spread");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "spread", "web=4").exitCode());
        List<JsonNode> up = Eventually.await("4 web jobs up", Duration.ofSeconds(15), () -> up("spread"), j -> j.size() == 4);
        assertEquals(Map.of(grid.hostId("a"), 2L, grid.hostId("b"), 2L), perHost(up), "spread evenly");
        for (JsonNode j : up) {
            String address = j.path("hostId").asText().equals(grid.hostId("a")) ? "127.0.0.2" : "127.0.0.3";
            assertEquals("200 " + j.path("id").asText(), TestCluster.get(address, j.path("port").asInt()));
        }

        // Host a dies: its agent stops renewing its lease and its containers are gone.
        Instant died = Instant.now();
        a.stop(false);
        for (Container c : grid.containers("a")) grid.docker.remove(c.id(), 0);
        List<JsonNode> moved = Eventually.await("4 web jobs up on host b", Duration.ofSeconds(TTL + 5), () -> up("spread"),
                j -> j.size() == 4 && perHost(j).equals(Map.of(grid.hostId("b"), 4L)));
        System.out.println("host lost -> all jobs up elsewhere in " + Duration.between(died, Instant.now()).toMillis() + " ms (TTL " + TTL + " s)");
        assertEquals(4, moved.stream().map(j -> j.path("port").asInt()).collect(Collectors.toSet()).size());
    }

    @Test
    void restartingAHostAgentChangesNothing() {
        grid.api.deployWeb("steady");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "steady", "web=4").exitCode());
        Eventually.await("4 web jobs up", Duration.ofSeconds(15), () -> up("steady"), j -> j.size() == 4);
        Set<String> before = grid.containers("a").stream().map(Container::id).collect(Collectors.toSet());
        Map<String, Integer> restarts = jobs("steady").stream().collect(Collectors.toMap(j -> j.path("id").asText(), j -> j.path("restarts").asInt()));

        HostAgent old = a;
        old.stop(false);
        a = grid.startHost("a", "127.0.0.2", old.config().portMin(), old.config().portMax());
        old.stop(true); // a second stop of the old agent must not touch the new one's containers
        Eventually.sleep((TTL + 2) * 1000); // past the old lease's lifetime

        Set<String> after = grid.containers("a").stream().map(Container::id).collect(Collectors.toSet());
        assertEquals(before, after, "the restarted agent adopted the same containers: no duplicates, no restarts");
        assertTrue(grid.containers("a").stream().allMatch(c -> c.running()));
        List<JsonNode> now = up("steady");
        assertEquals(4, now.size());
        assertEquals(restarts, now.stream().collect(Collectors.toMap(j -> j.path("id").asText(), j -> j.path("restarts").asInt())));
        assertEquals(4, grid.store.list("services/steady.web/instances/").entries().size(), "still registered with discovery");
    }

    @Test
    void aVolumeBoundJobWaitsForItsHostInsteadOfMoving() {
        String volume = grid.id + "-data";
        grid.api.ok("POST", "/apps", "{\"name\":\"stateful\"}");
        grid.api.ok("POST", "/apps/stateful/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"db\":{\"command\":"
                + "\"echo boot >> /data/boots; echo boots=$(wc -l < /data/boots); exec sleep 1000\",\"volumes\":[{\"name\":\"" + volume + "\",\"path\":\"/data\"}]}}}");
        grid.api.ok("PATCH", "/apps/stateful/formation", "{\"processes\":{\"db\":1}}");
        JsonNode job = Eventually.await("db job running", Duration.ofSeconds(15), () -> jobs("stateful"),
                j -> j.size() == 1 && j.get(0).path("state").asText().equals("up")).get(0);
        String hostName = job.path("hostId").asText().endsWith("-a") ? "a" : "b";
        HostAgent holder = hostName.equals("a") ? a : b;
        String address = hostName.equals("a") ? "127.0.0.2" : "127.0.0.3";

        holder.stop(false);
        for (Container c : grid.containers(hostName)) grid.docker.remove(c.id(), 0);
        JsonNode blocked = Eventually.await("the job to be blocked", Duration.ofSeconds(TTL + 5), () -> jobs("stateful"),
                j -> j.size() == 1 && j.get(0).path("state").asText().equals("blocked")).get(0);
        assertEquals(job.path("id").asText(), blocked.path("id").asText(), "not moved to the other host");
        assertTrue(blocked.path("message").asText().contains("holds this job's volume " + volume), blocked.toString());
        var ps = grid.api.cli("ps", "-a", "stateful");
        assertTrue(ps.out().contains("blocked") && ps.out().contains("waits for that host"), ps.out());

        HostAgent back = grid.startHost(hostName, address, holder.config().portMin(), holder.config().portMax());
        Eventually.await("the job back on its host", Duration.ofSeconds(15), () -> jobs("stateful"),
                j -> j.size() == 1 && j.get(0).path("state").asText().equals("up") && j.get(0).path("hostId").asText().equals(back.config().hostId()));
        // The same volume came back: the second boot found the first one's file.
        var logs = Eventually.await("the second boot's log", Duration.ofSeconds(5), () -> grid.api.cli("logs", "-a", "stateful"),
                r -> r.out().contains("boots="));
        assertTrue(logs.out().contains("boots=2"), logs.out());
    }
}
