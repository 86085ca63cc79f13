package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Scheduled backups against a real etcd, with two runners (two controllers) and backups kept in
 * memory: each slot is taken once, a dead runner's claim lets go, a backup taken but not marked
 * is not taken again, and retention drops the oldest.
 */
class BackupSchedulerTest {
    private static final Duration TICK = Duration.ofMillis(100);

    /** Backups of one add-on in memory, as two runners share them through Addons. */
    static final class Kept implements BackupScheduler.Backups {
        final List<Addons.Backup> all = new CopyOnWriteArrayList<>();
        final List<Instant> captures = new CopyOnWriteArrayList<>();

        public List<Addons.Backup> backups(String addon) {
            return new ArrayList<>(all);
        }

        public Addons.Backup capture(String addon, Instant slot) {
            captures.add(slot);
            Addons.Backup b = new Addons.Backup(String.format("b%03d", all.size() + 1), addon, Instant.now(), 1, slot);
            all.add(b);
            return b;
        }

        public void delete(Addons.Backup backup) {
            all.remove(backup);
        }
    }

    private static String timeOfDay(Instant t) {
        return t.atZone(ZoneOffset.UTC).toLocalTime().toString();
    }

    @Test
    void twoRunnersTakeEachSlotOnceAndADeadRunnersClaimLetsGo() throws Exception {
        Kept kept = new Kept();
        try (Store store = SharedEtcd.newStore();
             BackupScheduler a = new BackupScheduler(store, kept, "a", TICK);
             BackupScheduler b = new BackupScheduler(store, kept, "b", TICK)) {
            Instant now = Instant.now();
            Instant first = now.minusSeconds(300).truncatedTo(ChronoUnit.MINUTES);
            String key = BackupScheduler.SCHEDULES + "db";
            store.put(key, new BackupSchedule("db", timeOfDay(first), "UTC", 1, now.minus(Duration.ofDays(2)), null));
            Eventually.await("the slot marked taken", Duration.ofSeconds(10), () -> store.get(key, BackupSchedule.class).orElseThrow().lastSlot(), first::equals);
            Thread.sleep(10 * TICK.toMillis());
            assertEquals(List.of(first), kept.captures, "one backup for the slot, whichever runner led");

            // The next slot while a runner that died mid-backup holds its claim: nothing until its lease ends, then once.
            Instant second = now.minusSeconds(180).truncatedTo(ChronoUnit.MINUTES);
            try (Lease dead = store.lease(2)) {
                store.put(BackupScheduler.CLAIMS + "db", second.toString(), dead.id());
                store.put(key, store.get(key, BackupSchedule.class).orElseThrow().withAt(timeOfDay(second)));
                Thread.sleep(10 * TICK.toMillis());
                assertEquals(List.of(first), kept.captures, "nothing taken while the claim stands");
            }
            Eventually.await("the second slot taken once the claim let go", Duration.ofSeconds(15),
                    () -> store.get(key, BackupSchedule.class).orElseThrow().lastSlot(), second::equals);
            Thread.sleep(10 * TICK.toMillis());
            assertEquals(List.of(first, second), kept.captures);
            assertEquals(1, kept.all.size(), "--keep 1: the first slot's backup went");
            assertEquals(second, kept.all.get(0).slot());
            assertTrue(store.get(BackupScheduler.CLAIMS + "db").isEmpty(), "no claim left");

            // A runner that died after its backup and before it marked the slot: the backup is found, not taken again.
            Instant third = now.minusSeconds(60).truncatedTo(ChronoUnit.MINUTES);
            kept.all.add(new Addons.Backup("b999", "db", Instant.now(), 1, third));
            store.put(key, store.get(key, BackupSchedule.class).orElseThrow().withAt(timeOfDay(third)));
            Eventually.await("the third slot marked", Duration.ofSeconds(10), () -> store.get(key, BackupSchedule.class).orElseThrow().lastSlot(), third::equals);
            assertEquals(List.of(first, second), kept.captures, "its backup was there: only marked");
        }
    }
}
