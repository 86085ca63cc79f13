package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.appliance.ClusterKeys;
import dev.grid.host.Docker;
import dev.grid.store.LocalEtcd;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Grid's etcd unavailable for 30 s, paused ({@code SIGSTOP}) and then stopped and started again,
 * under a web app and a Postgres add-on (Flynn's TestNoFlap is the anchor): the app serves and the
 * add-on takes commits throughout, and when etcd is back everything reconverges without a failover.
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(OwnServer.LOCK)
class EtcdOutageTest {
    private static final int OUTAGE_SECONDS = 30;

    /** What a probe of the app and of the add-on saw during an outage. */
    private record Seen(int http200, int httpOther, int commits, int commitsRefused, List<String> errors) {}

    @Test
    void aPausedOrRestartedEtcdCausesNoFailoverAndTheAppAndItsDatabaseServeThroughout() throws Exception {
        OwnServer own = new OwnServer("eto", "127.0.0.7", "25300-25399", "32030-32039");
        Docker docker = new Docker(Docker.DEFAULT_HOST);
        GridServer server = own.start();
        ProcessHandle ownEtcd = null;
        try (Store store = own.store()) {
            TestApi api = own.api();
            assertEquals(0, api.cli("apps:create", "steady").exitCode());
            assertEquals(0, api.cli("deploy", "-a", "steady", "--image", TestCluster.STACK_IMAGE, "--process", "web=" + TestCluster.WEB).exitCode());
            var made = api.cli("addons:create", "postgres", "-a", "steady", "--name", "steady-db");
            assertEquals(0, made.exitCode(), made.err());
            String url = api.ok("GET", "/apps/steady/config", null).path("DATABASE_URL").asText();
            ClusterKeys keys = new ClusterKeys("postgres", "main");
            TestCluster.awaitWhole(store, keys, List.of("n0", "n1", "n2"));
            assertEquals("", TestCluster.psql(url, "CREATE TABLE beats (at timestamptz)"));
            int httpPort = Integer.parseInt(own.env.get("GRID_HTTP_PORT"));
            Eventually.await("the app served through the router", Duration.ofSeconds(60), () -> status(httpPort), s -> s.contains("200"));
            JsonNode before = steady(api, store, keys);

            // 1. etcd paused: nothing can renew a lease or read a key.
            long pid = Long.parseLong(Files.readString(own.home.resolve("etcd.pid")).strip());
            signal("STOP", pid);
            Seen paused;
            try {
                paused = probe(httpPort, url);
            } finally {
                signal("CONT", pid);
            }
            System.out.println("BENCH etcd paused " + OUTAGE_SECONDS + " s: " + paused);
            assertEquals(0, paused.httpOther(), "the app answered every request while etcd was paused: " + paused);
            assertEquals(0, paused.commitsRefused(), "the add-on took every commit while etcd was paused: " + paused);
            JsonNode afterPause = steady(api, store, keys);
            assertEquals(before.path("generation").asLong(), afterPause.path("generation").asLong(), "no failover after the pause: " + afterPause);
            assertEquals("none", afterPause.path("last_failover").asText(), afterPause.toString());

            // 2. etcd stopped, and started again 30 s later on the same data.
            signal("TERM", pid);
            assertTrue(ProcessHandle.of(pid).map(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join()).isPresent()
                    || ProcessHandle.of(pid).isEmpty(), "etcd stopped");
            Seen stopped = probe(httpPort, url);
            int port = Integer.parseInt(own.env.get("GRID_ETCD_PORT"));
            LocalEtcd again = LocalEtcd.start(own.home.resolve("etcd"), port, port + 1);
            ownEtcd = ProcessHandle.of(again.pid()).orElse(null);
            System.out.println("BENCH etcd stopped " + OUTAGE_SECONDS + " s: " + stopped);
            assertEquals(0, stopped.httpOther(), "the app answered every request while etcd was down: " + stopped);
            assertEquals(0, stopped.commitsRefused(), "the add-on took every commit while etcd was down: " + stopped);
            JsonNode afterRestart = steady(api, store, keys);
            assertEquals(before.path("generation").asLong(), afterRestart.path("generation").asLong(), "no failover after the restart: " + afterRestart);
            assertEquals("none", afterRestart.path("last_failover").asText(), afterRestart.toString());
            assertEquals("", TestCluster.psql(url, "INSERT INTO beats VALUES (now())"));
        } finally {
            server.close();
            if (ownEtcd != null) {
                ownEtcd.destroy();
                ownEtcd.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join();
            }
            own.cleanUp();
        }
    }

    /** The add-on's info once the cluster has settled again: every node reporting, the same nodes healthy for 10 s. */
    private static JsonNode steady(TestApi api, Store store, ClusterKeys keys) {
        TestCluster.awaitWhole(store, keys, List.of("n0", "n1", "n2"));
        Eventually.sleep(10_000); // long enough for a manager that was going to fail over to have done it
        TestCluster.awaitWhole(store, keys, List.of("n0", "n1", "n2"));
        return api.ok("GET", "/addons/steady-db", null);
    }

    /** An HTTP request through the router and a commit through DATABASE_URL, once a second for the outage. */
    private static Seen probe(int httpPort, String url) {
        int ok = 0, other = 0, commits = 0, refused = 0;
        List<String> errors = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(OUTAGE_SECONDS);
        while (System.nanoTime() < end) {
            String s = status(httpPort);
            if (s.contains(" 200 ")) ok++;
            else {
                other++;
                errors.add(s);
            }
            String out = commit(url);
            if (out.isEmpty()) commits++;
            else {
                refused++;
                errors.add(out);
            }
            Eventually.sleep(1000);
        }
        return new Seen(ok, other, commits, refused, errors.subList(0, Math.min(errors.size(), 5)));
    }

    /** A commit through the add-on's URL: "" once acknowledged, else why not (at most 10 s: a commit that hangs counts as refused). */
    private static String commit(String url) {
        try {
            Process p = new ProcessBuilder("psql", url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", "INSERT INTO beats VALUES (now())")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "no answer within 10 s";
            }
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.exitValue() == 0 ? out : "psql failed: " + out;
        } catch (Exception e) {
            return "psql failed: " + e;
        }
    }

    private static String status(int httpPort) {
        try {
            return String.valueOf(TestCluster.statusLine(httpPort, "steady.localhost"));
        } catch (Exception e) {
            return "unreachable: " + e;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + signal + " " + pid);
    }
}
