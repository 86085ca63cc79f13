package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.builder.BuildLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A build or a release command that outgrows the build's limits fails the push with that limit as the reason. */
class BuildLimitsTest {
    static TestCluster grid;
    static Path key;

    @BeforeAll
    static void start() throws Exception {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
        grid.startGit(new BuildLimits(128, 1, Duration.ofSeconds(8), 1 << 20));
        Path work = Files.createTempDirectory("grid-limits");
        key = work.resolve("id_ed25519");
        new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()).start().waitFor();
        assertEquals(0, grid.api.cli("keys:add", key + ".pub").exitCode());
    }

    @AfterAll
    static void stop() {
        grid.close();
    }

    private GitPushTest.Result pushApp(String app, Map<String, String> files) throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"" + app + "\"}");
        Path dir = Files.createTempDirectory("grid-limits-" + app);
        for (var f : files.entrySet()) {
            Files.createDirectories(dir.resolve(f.getKey()).getParent());
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
        }
        String ssh = "ssh -i " + key + " -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR";
        for (List<String> c : List.of(List.of("git", "init", "-q", "-b", "main"), List.of("git", "add", "-A"),
                List.of("git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x"))) {
            new ProcessBuilder(c).directory(dir.toFile()).start().waitFor();
        }
        ProcessBuilder pb = new ProcessBuilder("git", "push", "ssh://git@127.0.0.1:" + grid.git.port() + "/" + app + ".git", "main")
                .directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_SSH_COMMAND", ssh);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        return new GitPushTest.Result(p.waitFor(), out);
    }

    private static Map<String, String> buildpack(String compile) {
        return Map.of(".buildpacks", "slow\n", "slow/bin/detect", "echo Slow\n", "slow/bin/compile", compile, "slow/bin/release", "echo ---\n",
                "Procfile", "web: sleep 1000\n");
    }

    @Test
    void aBuildPastItsTimeIsStoppedAndThePushSaysWhy() throws Exception {
        long t0 = System.nanoTime();
        var pushed = pushApp("slowbuild", buildpack("echo started; sleep 60\n"));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(pushed.exit() != 0, pushed.output());
        assertTrue(pushed.output().contains("the build was stopped after 8 s, the time a build may take (GRID_BUILD_TIMEOUT)"), pushed.output());
        assertTrue(seconds < 40, "stopped at its limit, not at the end of its sleep: " + seconds + " s");
        assertEquals(0, grid.api.ok("GET", "/apps/slowbuild/releases", null).size());
    }

    @Test
    void aBuildOverItsMemoryIsKilledAndThePushSaysWhy() throws Exception {
        var pushed = pushApp("bigbuild", buildpack("python3 -c 'x = bytearray(400 * 1024 * 1024); print(len(x))'\n"));
        assertTrue(pushed.exit() != 0, pushed.output());
        assertTrue(pushed.output().contains("the build ran out of memory: a build may use 128 MB (GRID_BUILD_MEMORY_MB)"), pushed.output());
    }

    @Test
    void aReleaseCommandPastItsTimeIsStoppedToo() throws Exception {
        var pushed = pushApp("slowrelease", Map.of("Procfile", "web: sleep 1000\nrelease: sleep 60\n"));
        assertTrue(pushed.exit() != 0, pushed.output());
        assertTrue(pushed.output().contains("the release command was stopped after 8 s"), pushed.output());
        assertEquals(0, grid.api.ok("GET", "/apps/slowrelease/releases", null).size());
    }
}
