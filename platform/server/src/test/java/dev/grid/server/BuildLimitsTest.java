package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.builder.BuildLimits;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A build or a release command that outgrows the build's limits fails the push with that limit as
 * the reason. The builder's directory is a small disk of its own (a 256 MiB tmpfs) with a 64 MiB
 * free-space floor, so that a full disk is a real one.
 */
class BuildLimitsTest {
    static TestCluster grid;
    static TestGit git;
    static java.nio.file.Path builderDisk;
    private static final Map<String, String> WEB_APP = Map.of("Procfile", "web: node server.js\n",
            "server.js", "require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT)\n");

    private static void sh(String cmd) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
    }

    @BeforeAll
    static void start() throws Exception {
        grid = new TestCluster(5);
        grid.startHost("a", "127.0.0.2");
        builderDisk = java.nio.file.Files.createDirectories(grid.stateDir.resolve("builder"));
        sh("mount -t tmpfs -o size=256m grid-build-test " + builderDisk);
        grid.startGit(new BuildLimits(128, 1, Duration.ofSeconds(8), 1 << 20, 64L << 20));
        git = new TestGit(grid);
    }

    @AfterAll
    static void stop() throws Exception {
        grid.close(); // its state directory stays while the tmpfs is mounted in it (rm stops at another file system)
        if (builderDisk != null) sh("umount " + builderDisk);
        dev.grid.testing.TestDirs.delete(grid.stateDir);
    }

    private TestGit.Result pushApp(String app, Map<String, String> files) throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"" + app + "\"}");
        return git.push(git.repo(app, files), app);
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

    @Test
    void aPushOnADiskBelowTheFloorIsRefusedNamingItAndGoesThroughOnceSpaceIsFree() throws Exception {
        java.nio.file.Path filler = builderDisk.resolve("filler");
        long fill = builderDisk.toFile().getUsableSpace() - (32L << 20); // 32 MiB left: under the 64 MiB floor
        sh("fallocate -l " + fill + " " + filler);
        try {
            var pushed = pushApp("fulldisk", WEB_APP);
            assertTrue(pushed.exit() != 0, pushed.output());
            assertTrue(pushed.output().contains("not enough free disk space to build: ") && pushed.output().contains(builderDisk.toString())
                    && pushed.output().contains("builds need 64 MiB (GRID_BUILD_MIN_FREE)"), pushed.output());
            assertEquals(0, grid.api.ok("GET", "/apps/fulldisk/releases", null).size(), "nothing was built or deployed");
        } finally {
            java.nio.file.Files.delete(filler);
        }
        var again = git.push(git.repo("fulldisk", WEB_APP), "fulldisk");
        assertEquals(0, again.exit(), again.output());
        assertEquals(1, grid.api.ok("GET", "/apps/fulldisk/releases", null).size());
    }
}
