package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.host.Docker.Event;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A restart of {@code dockerd} under a host agent, against a Docker engine of this test's own
 * (its own socket, data and exec roots, started with live-restore, as setup-host configures the
 * machine's), never the machine's shared one: the containers keep running through it, and the
 * agent's event stream comes back and sees what happens after it.
 */
class DockerEngineRestartTest {
    private static final String LABEL = "grid.host";
    private static Path root;
    private static String socket;
    private static Process dockerd;
    private static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void ownEngine() throws Exception {
        // A short path: a unix socket's name is at most 107 bytes.
        root = Files.createTempDirectory(Path.of("/tmp"), "gdr");
        socket = "unix://" + root.resolve("docker.sock");
        startEngine();
        // An image of one static busybox: nothing can be pulled here.
        Path rootfs = Files.createDirectories(root.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        run(List.of("sh", "-c", "tar -C " + root.resolve("rootfs") + " -c . | docker -H " + socket + " import - grid-test/busybox:1"), 120);
    }

    private static void startEngine() throws Exception {
        // A configuration file of its own: never the machine's /etc/docker/daemon.json.
        Path config = root.resolve("daemon.json");
        Files.writeString(config, "{\"live-restore\": true}\n");
        ProcessBuilder pb = new ProcessBuilder("dockerd", "--config-file", config.toString(), "-H", socket, "--data-root", root.resolve("data").toString(),
                "--exec-root", root.resolve("exec").toString(), "--pidfile", root.resolve("dockerd.pid").toString(),
                "--bridge=none", "--iptables=false", "--ip-masq=false");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("dockerd.log").toFile()));
        dockerd = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (docker(List.of("info", "--format", "{{.LiveRestoreEnabled}}")).trim().equals("true")) return;
            if (!dockerd.isAlive()) break;
            Thread.sleep(200);
        }
        throw new AssertionError("the test's own dockerd did not come up with live-restore: " + Files.readString(root.resolve("dockerd.log")));
    }

    private static void stopEngine() throws Exception {
        dockerd.destroy(); // TERM: with live-restore the containers (and their containerd) stay
        assertTrue(dockerd.waitFor(60, TimeUnit.SECONDS), "dockerd stopped");
    }

    private static String docker(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", socket));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? out : "";
    }

    private static void run(List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
    }

    private static String startContainer(String host) throws Exception {
        String id = docker(List.of("run", "-d", "--network", "host", "--label", LABEL + "=" + host, "grid-test/busybox:1",
                "/bin/busybox", "sleep", "600")).trim();
        assertTrue(id.matches("[0-9a-f]{64}"), "a container started: " + id);
        containers.add(id);
        return id;
    }

    private static Event next(BlockingQueue<Event> events, String action, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Event e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && action.equals(e.action()) && id.equals(e.containerId())) return e;
        }
        return null;
    }

    @Test
    void theEventStreamFollowsDockerdAcrossARestartAndTheContainersLiveOn() throws Exception {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        CountDownLatch reopened = new CountDownLatch(1);
        try (Docker docker = new Docker(socket);
             Closeable stream = docker.events(Map.of(LABEL, "h1"), Duration.ofMillis(200), events::add, reopened::countDown)) {
            String before = startContainer("h1");
            assertNotNull(next(events, "start", before), "the start of a container is seen");
            String startedAt = docker(List.of("inspect", "-f", "{{.State.StartedAt}}", before)).trim();

            stopEngine();
            Thread.sleep(1000); // the stream's retries meet no engine
            startEngine();

            assertTrue(reopened.await(20, TimeUnit.SECONDS), "the stream was opened again once dockerd answered");
            assertEquals("true " + startedAt, docker(List.of("inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", before)).trim(),
                    "the container ran through dockerd's restart, never restarted");

            // What happens after the restart reaches the stream: the agent would miss these before.
            docker(List.of("kill", before));
            assertNotNull(next(events, "die", before), "the death of a container that outlived dockerd's restart is seen");
            String after = startContainer("h1");
            assertNotNull(next(events, "start", after), "a container started after dockerd's restart is seen");
            String other = startContainer("h2");
            Thread.sleep(500);
            assertTrue(events.stream().noneMatch(e -> other.equals(e.containerId())), "another host's containers stay out of this host's stream");
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (socket == null) return;
        for (String id : containers) docker(List.of("rm", "-f", id));
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            dockerd.waitFor(60, TimeUnit.SECONDS);
        }
        // With live-restore dockerd leaves its containerd running: stop it by its pid.
        try (var pids = Files.find(root.resolve("exec"), 3, (p, a) -> p.getFileName().toString().equals("containerd.pid"))) {
            for (Path pid : pids.toList()) {
                long n = Long.parseLong(Files.readString(pid).trim());
                ProcessHandle.of(n).ifPresent(h -> {
                    h.destroy();
                    h.onExit().orTimeout(20, TimeUnit.SECONDS).exceptionally(t -> null).join();
                });
            }
        } catch (IOException ignored) {
            // no containerd was started
        }
        // What dockerd mounted under its roots (its network namespace, overlay layers), deepest first, then the rest.
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String point = line.split(" ")[1];
            if (point.startsWith(root + "/")) mounts.add(point);
        }
        mounts.sort(java.util.Comparator.reverseOrder());
        for (String m : mounts) run(List.of("umount", "-l", m), 30);
        run(List.of("rm", "-rf", root.toString()), 60);
    }
}
