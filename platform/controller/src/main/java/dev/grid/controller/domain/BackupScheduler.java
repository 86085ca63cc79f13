package dev.grid.controller.domain;

import dev.grid.store.CoalescedTask;
import dev.grid.store.Entry;
import dev.grid.store.Lease;
import dev.grid.store.LeaderElection;
import dev.grid.store.Store;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the scheduled backups ({@link BackupSchedule}): on the one controller that leads
 * {@code elections/backup-schedules}, every {@code tick}. A slot is taken once. Its runner first
 * claims it (key backup-claims/ADDON, under the runner's lease: a runner that dies lets it go), then
 * checks whether a backup for that slot exists already (a runner that died after its backup but
 * before it marked the slot), takes the backup, marks the slot taken, and drops the scheduled
 * backups beyond {@code keep}. A new leader, or the same one after a restart, takes a slot that
 * was not marked.
 */
public final class BackupScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupScheduler.class);
    public static final String SCHEDULES = "backup-schedules/";
    static final String CLAIMS = "backup-claims/";
    /** How often the leader looks for a slot that is due. */
    public static final Duration TICK = Duration.ofSeconds(2);
    /** How long a dead runner's claim outlives it. */
    static final long CLAIM_TTL_SECONDS = 15;

    /** What the scheduler does with an add-on's backups ({@link Addons} does it). */
    interface Backups {
        java.util.List<Addons.Backup> backups(String addon);

        Addons.Backup capture(String addon, Instant slot);

        void delete(Addons.Backup backup);
    }

    private final Store store;
    private final Backups addons;
    private final LeaderElection election;
    private final CoalescedTask loop;

    public static BackupScheduler start(Store store, Addons addons, String candidate, Duration tick) {
        return new BackupScheduler(store, new Backups() {
            public java.util.List<Addons.Backup> backups(String addon) {
                return addons.backups(addon);
            }

            public Addons.Backup capture(String addon, Instant slot) {
                return addons.capture(addon, slot);
            }

            public void delete(Addons.Backup backup) {
                addons.deleteBackup(backup);
            }
        }, candidate, tick);
    }

    BackupScheduler(Store store, Backups addons, String candidate, Duration tick) {
        this.store = store;
        this.addons = addons;
        this.election = new LeaderElection(store, "backup-schedules", candidate, 5);
        this.loop = new CoalescedTask("backup-schedules", this::tick).every(tick, tick);
    }

    private void tick() {
        if (!election.isLeader()) return;
        for (Entry e : store.list(SCHEDULES).entries()) {
            try {
                BackupSchedule s = e.as(BackupSchedule.class);
                Instant slot = s.due(Instant.now());
                if (slot != null) take(s.addon(), slot);
            } catch (RuntimeException ex) {
                log.warn("scheduled backup of {}: {} (tried again in the next round)", e.name(), ex.toString());
            }
        }
    }

    /** Takes the add-on's backup for {@code slot}, unless another runner has it or had it. */
    void take(String addon, Instant slot) {
        String claim = CLAIMS + addon;
        try (Lease lease = store.lease(CLAIM_TTL_SECONDS)) {
            if (!store.txn().ifUnchanged(claim, 0).put(claim, slot.toString(), lease.id()).commit()) return; // under way elsewhere
            try {
                Entry current = store.get(SCHEDULES + addon).orElse(null);
                if (current == null) return; // unscheduled meanwhile
                BackupSchedule s = current.as(BackupSchedule.class);
                if (!slot.equals(s.due(Instant.now()))) return; // taken meanwhile, by a runner before this one
                boolean done = addons.backups(addon).stream().anyMatch(b -> slot.equals(b.slot()));
                if (!done) {
                    Addons.Backup b = addons.capture(addon, slot);
                    log.info("scheduled backup of {} for {}: {} ({} B)", addon, slot, b.id(), b.bytes());
                }
                // Marked only if the schedule is as it was read: one changed meanwhile is read again next round.
                store.txn().ifUnchanged(SCHEDULES + addon, current.modRevision()).put(SCHEDULES + addon, s.taken(slot)).commit();
                for (Addons.Backup old : s.expired(addons.backups(addon))) {
                    addons.delete(old);
                    log.info("scheduled backup {} of {} dropped: {} newer are kept", old.id(), addon, s.keep());
                }
            } finally {
                store.delete(claim);
                lease.revoke();
            }
        }
    }

    @Override
    public void close() {
        loop.close();
        election.close();
    }
}
