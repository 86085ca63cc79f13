package dev.grid.appliance.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.Datastore.Fence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real watchdog script, with a fence command that counts its runs. */
class WatchdogTest {
    static long count(Path f) throws Exception {
        return Files.exists(f) ? Files.readString(f).length() : 0;
    }

    @Test
    void aPrimaryWhoseLeaseIsNotRenewedWithinTheDeadlineIsFencedOnceAndOnlyThen() throws Exception {
        Path dir = Files.createTempDirectory("watchdog");
        Path runs = dir.resolve("runs");
        try (Watchdog w = new Watchdog(dir)) {
            w.ensure(new Fence(List.of("sh", "-c", "printf x >> \"$RUNS\""), Map.of("RUNS", runs.toString())));
            Thread.sleep(500);
            assertEquals(0, count(runs), "not the primary: nothing to fence");
            for (int i = 0; i < 8; i++) { // renewed every 250 ms for 2 s, longer than the deadline
                w.renewed(System.currentTimeMillis());
                Thread.sleep(250);
            }
            assertEquals(0, count(runs), "renewed in time: never fenced");
            assertFalse(w.fenced());
            long stopped = System.currentTimeMillis();
            while (!w.fenced() && System.currentTimeMillis() - stopped < 5000) Thread.sleep(20);
            long after = System.currentTimeMillis() - stopped;
            assertTrue(w.fenced(), "fenced once the lease is stale");
            assertTrue(after >= Watchdog.DEADLINE_MILLIS - 300 && after < Watchdog.DEADLINE_MILLIS + 600,
                    "within a tick of the deadline (" + Watchdog.DEADLINE_MILLIS + " ms after the last renewal): " + after + " ms");
            Thread.sleep(500);
            assertEquals(1, count(runs), "once");
            w.renewed(System.currentTimeMillis());
            w.lifted();
            Thread.sleep(300);
            assertEquals(1, count(runs), "lifted and renewed: not fenced again");
            w.notPrimary();
            Thread.sleep(Watchdog.DEADLINE_MILLIS + 500);
            assertEquals(1, count(runs), "not the primary any more: nothing to fence");
            assertFalse(w.fenced());
            w.renewed(System.currentTimeMillis() - Watchdog.DEADLINE_MILLIS - 1000); // a lease that ran out while the keeper was paused
            while (!w.fenced() && count(runs) < 2) Thread.sleep(20);
            w.notPrimary(); // the keeper, back, has a new lease and is not registered yet
            assertTrue(w.fenced(), "the fence stays marked until the keeper lifts it as the primary again");
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    @Test
    void theDeadlineIsTheLeasesTtlLessOneRenewal() {
        assertEquals(1500, Watchdog.DEADLINE_MILLIS);
        assertEquals(List.of("sh", "/s.sh", "/l", "/f", "1500", "redis-cli", "CLIENT", "PAUSE"),
                Watchdog.command(Path.of("/s.sh"), Path.of("/l"), Path.of("/f"), 1500, List.of("redis-cli", "CLIENT", "PAUSE")));
    }
}
