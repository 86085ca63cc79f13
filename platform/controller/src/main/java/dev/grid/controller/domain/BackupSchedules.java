package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The add-ons' backup schedules as the API shows and changes them; {@link BackupScheduler} takes them. */
@Singleton
public final class BackupSchedules {
    private final Store store;
    private final Addons addons;

    public BackupSchedules(Store store, Addons addons) {
        this.store = store;
        this.addons = addons;
    }

    /** Schedules (or reschedules) the add-on's daily backup. */
    public Map<String, Object> schedule(String addon, String at, Integer keep) {
        Addon a = addons.get(addon);
        if (!addons.takesBackups(a)) throw GridException.invalid(a.provider() + " add-ons have no backups");
        BackupSchedule s = BackupSchedule.parse(addon, at, keep, Instant.now());
        store.put(BackupScheduler.SCHEDULES + addon, s);
        return view(s);
    }

    public void unschedule(String addon) {
        addons.get(addon);
        if (!store.delete(BackupScheduler.SCHEDULES + addon)) throw GridException.notFound(addon + " has no backup schedule: grid pg:backups:schedule sets one");
    }

    public List<Map<String, Object>> list() {
        return store.values(BackupScheduler.SCHEDULES, BackupSchedule.class).stream().map(BackupSchedules::view).toList();
    }

    private static Map<String, Object> view(BackupSchedule s) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("addon", s.addon());
        v.put("at", s.at() + " " + s.zone());
        v.put("keep", s.keep());
        v.put("next", s.next(Instant.now()));
        v.put("lastSlot", s.lastSlot());
        return v;
    }
}
