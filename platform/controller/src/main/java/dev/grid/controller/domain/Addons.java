package dev.grid.controller.domain;

import dev.grid.appliance.Appliance;
import dev.grid.appliance.Provider;
import dev.grid.appliance.Secrets;
import dev.grid.appliance.Provider.Resource;
import dev.grid.controller.ApplianceCatalog;
import dev.grid.core.GridException;
import dev.grid.core.Route;
import dev.grid.store.Entry;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Add-ons, Heroku style: create one from a provider (and attach it to an app), attach and
 * detach it, destroy it. Attaching merges the resource's env into the app's config as a new
 * release, which deploys; detaching removes the keys that attachment set and that still hold
 * what it set. Every request is checked completely before anything changes.
 */
@Singleton
public final class Addons {
    public static final String KEY = "addons/";
    private static final Logger log = LoggerFactory.getLogger(Addons.class);
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,28}[a-z0-9]");

    private final Store store;
    private final Apps apps;
    private final Releases releases;
    private final Map<String, Provider> providers = new TreeMap<>();
    private final AppliancePlatform platform;

    public Addons(Store store, Apps apps, Releases releases, ApplianceCatalog catalog, AppliancePlatform platform) {
        this.store = store;
        this.platform = platform;
        this.apps = apps;
        this.releases = releases;
        for (Appliance a : catalog.appliances()) providers.put(a.name(), a.provider(platform));
    }

    /** Providers that run parts of their own (Postgres' archive) stop them with the controller. */
    @jakarta.annotation.PreDestroy
    void close() {
        for (Provider p : providers.values()) {
            if (!(p instanceof AutoCloseable c)) continue;
            try {
                c.close();
            } catch (Exception e) {
                log.warn("a provider did not stop cleanly: {}", e.getMessage());
            }
        }
    }

    public Map<String, List<String>> providers() {
        Map<String, List<String>> out = new TreeMap<>();
        providers.forEach((name, p) -> out.put(name, p.plans()));
        return out;
    }

    public List<Addon> list() {
        return store.values(KEY, Addon.class).stream().sorted(Comparator.comparing(Addon::name)).toList();
    }

    public Addon get(String name) {
        return store.get(KEY + name, Addon.class).filter(Addon::provisioned)
                .orElseThrow(() -> GridException.notFound("no add-on named '" + name + "': see 'grid addons'"));
    }

    public Provider provider(Addon addon) {
        Provider p = providers.get(addon.provider());
        if (p == null) throw GridException.conflict("the provider '" + addon.provider() + "' of " + addon.name() + " is not installed in this Grid");
        return p;
    }

    /**
     * Provisions an add-on (its name is chosen if null) and attaches it to {@code app} if given,
     * as {@code alias} if given ({@link #attach}). An attachment that would clash is refused before
     * anything is made where another add-on of the provider shows the vars it will set, and
     * otherwise undone with the add-on it made.
     */
    public Addon create(String providerName, String plan, String name, String app, String alias, Map<String, String> options, Consumer<String> progress) {
        Provider provider = providers.get(providerName);
        if (provider == null) throw GridException.invalid("no add-on provider '" + providerName + "': use one of " + providers.keySet());
        String chosenPlan = plan == null ? provider.defaultPlan() : plan;
        if (!provider.plans().contains(chosenPlan))
            throw GridException.invalid(providerName + " has no plan '" + chosenPlan + "': the plans are " + provider.plans());
        Map<String, String> opts = options == null ? Map.of() : options;
        for (String k : opts.keySet()) {
            if (provider.options().contains(k)) continue;
            throw GridException.invalid(provider.options().isEmpty() ? providerName + " takes no options (got " + opts.keySet() + ")"
                    : providerName + " has no option '" + k + "': the options are " + provider.options());
        }
        String addonName = name == null ? providerName + "-" + Secrets.token(6).toLowerCase() : name;
        if (!NAME.matcher(addonName).matches())
            throw GridException.invalid("invalid add-on name '" + addonName + "': use 2-30 lowercase letters, digits and dashes, starting with a letter");
        AttachmentVars.alias(alias);
        if (app != null) {
            apps.get(app);
            // Another add-on of this provider sets the vars this one will: a clash is known before anything is made.
            list().stream().filter(a -> a.provider().equals(providerName) && a.provisioned()).findFirst()
                    .ifPresent(sibling -> refuseClash(app, AttachmentVars.of(sibling.env(), alias).keySet(), null, providerName + " add-on", alias));
        }
        Addon placeholder = new Addon(addonName, providerName, chosenPlan, null, null, null, null, Instant.now(), null);
        if (!store.txn().ifUnchanged(KEY + addonName, 0).put(KEY + addonName, placeholder).commit())
            throw GridException.conflict("an add-on named '" + addonName + "' exists already: choose another name");
        Resource resource;
        try {
            resource = provider.provision(addonName, chosenPlan, opts, progress);
        } catch (IllegalArgumentException e) {
            store.delete(KEY + addonName);
            throw GridException.invalid(e.getMessage());
        } catch (Exception e) {
            store.delete(KEY + addonName);
            log.warn("provisioning {} failed", addonName, e);
            throw new GridException(503, "provisioning " + addonName + " failed: " + e.getMessage());
        }
        Addon addon = new Addon(addonName, providerName, chosenPlan, resource.id(), resource.env(), resource.internal(), Map.of(), placeholder.createdAt(), null);
        store.put(KEY + addonName, addon);
        if (app == null) return addon;
        try {
            return attach(addonName, app, alias);
        } catch (GridException e) {
            // Nothing is left of a create whose attachment was refused: the add-on goes with its data.
            try {
                provider.deprovision(resource);
                store.delete(KEY + addonName);
            } catch (Exception undo) {
                log.warn("{} could not be attached to {}, and deleting it failed too: grid addons:destroy {} removes it", addonName, app, addonName, undo);
            }
            throw e;
        }
    }

    /**
     * Refuses to set {@code vars} on {@code app} where it holds another value of one of them than
     * {@code values} has (any value, if {@code values} is null: an add-on not made yet), set by
     * another add-on or by hand; the error names what set it and the way out, an attachment name.
     */
    private void refuseClash(String app, java.util.Set<String> vars, Map<String, String> values, String what, String alias) {
        Map<String, String> config = releases.config(app);
        for (String k : AttachmentVars.urlFirst(vars)) {
            String current = config.get(k);
            if (current == null || values != null && current.equals(values.get(k))) continue;
            String by = list().stream().filter(a -> a.attachments().getOrDefault(app, Map.of()).containsKey(k)).map(Addon::name).findFirst()
                    .map(n -> "from the add-on " + n).orElse("set by hand");
            throw GridException.conflict(app + " already has " + k + " (" + by + "): attach this " + what + " under its own name with --as ALIAS"
                    + " (its URL becomes ALIAS_URL and its other vars ALIAS_...)" + (alias == null ? "" : ", another than " + alias)
                    + ", or detach the other first");
        }
    }

    public Addon attach(String name, String app) {
        return attach(name, app, null);
    }

    /**
     * Attaches the add-on to {@code app}: its vars, named by {@code alias} if given
     * ({@link AttachmentVars}), are set by a new release. A var the app holds with another value
     * is refused, and nothing changes.
     */
    public Addon attach(String name, String app, String alias) {
        AttachmentVars.alias(alias);
        Entry entry = store.get(KEY + name).orElseThrow(() -> GridException.notFound("no add-on named '" + name + "': see 'grid addons'"));
        Addon addon = entry.as(Addon.class);
        if (!addon.provisioned()) throw GridException.notFound("no add-on named '" + name + "': see 'grid addons'");
        apps.get(app);
        if (addon.attachments().containsKey(app)) throw GridException.conflict(name + " is attached to " + app + " already");
        if (alias != null) {
            list().stream().filter(a -> alias.equals(a.alias(app))).findFirst().ifPresent(a -> {
                throw GridException.conflict(app + " has an attachment named " + alias + " already (" + a.name() + "): choose another --as");
            });
        }
        Map<String, String> vars = AttachmentVars.of(addon.env(), alias);
        refuseClash(app, vars.keySet(), vars, "add-on", alias);
        Map<String, Map<String, String>> attachments = new HashMap<>(addon.attachments());
        attachments.put(app, vars);
        Map<String, String> aliases = new HashMap<>(addon.aliases());
        if (alias != null) aliases.put(app, alias);
        Addon updated = addon.withAttachments(attachments, aliases);
        if (!store.txn().ifUnchanged(KEY + name, entry.modRevision()).put(KEY + name, updated).commit())
            throw GridException.conflict(name + " changed meanwhile: try again");
        releases.changeConfig(app, vars, List.of());
        return updated;
    }

    /** Removes the config this add-on's attachment set on {@code app}, where it still holds what was set. */
    public Addon detach(String name, String app) {
        Entry entry = store.get(KEY + name).orElseThrow(() -> GridException.notFound("no add-on named '" + name + "': see 'grid addons'"));
        Addon addon = entry.as(Addon.class);
        Map<String, String> added = addon.attachments().get(app);
        boolean appGone = added != null && store.get(dev.grid.store.Keys.app(app)).isEmpty();
        if (!appGone) apps.get(app);
        if (added == null) throw GridException.notFound(name + " is not attached to " + app + ": see 'grid addons'");
        // An app destroyed since has no config left to clean: only the attachment goes.
        Map<String, String> config = appGone ? Map.of() : releases.config(app);
        List<String> unset = added.entrySet().stream().filter(e -> e.getValue().equals(config.get(e.getKey()))).map(Map.Entry::getKey).sorted().toList();
        Map<String, Map<String, String>> attachments = new HashMap<>(addon.attachments());
        attachments.remove(app);
        Map<String, String> aliases = new HashMap<>(addon.aliases());
        aliases.remove(app);
        Addon updated = addon.withAttachments(attachments, aliases);
        if (!store.txn().ifUnchanged(KEY + name, entry.modRevision()).put(KEY + name, updated).commit())
            throw GridException.conflict(name + " changed meanwhile: try again");
        if (!unset.isEmpty()) releases.changeConfig(app, Map.of(), unset);
        return updated;
    }

    /** Detaches the add-on from every app and deletes its resource and data. */
    public void destroy(String name, String confirm) {
        Addon addon = get(name);
        if (!name.equals(confirm))
            throw GridException.invalid("destroying " + name + " deletes its data for good: confirm with --confirm " + name);
        Provider provider = provider(addon);
        for (String app : addon.attachments().keySet()) detach(name, app);
        try {
            provider.deprovision(resource(addon));
        } catch (Exception e) {
            throw new GridException(503, "deleting the resource of " + name + " failed: " + e.getMessage() + " (it is detached; destroy again to retry)");
        }
        store.delete(KEY + name);
        store.delete(BackupScheduler.SCHEDULES + name);
        for (Backup b : backups(name)) deleteBackup(b);
    }

    /** A backup of an add-on's data, kept in the blob store. Key backups/ADDON/ID. {@code slot}: the scheduled slot it was taken for ({@link BackupSchedule}); null if taken by hand. */
    public record Backup(String id, String addon, Instant createdAt, long bytes, Instant slot) {
        public Backup(String id, String addon, Instant createdAt, long bytes) {
            this(id, addon, createdAt, bytes, null);
        }

        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean scheduled() {
            return slot != null;
        }

        String blob() {
            return dev.grid.blobs.Blobs.BACKUP_PREFIX + addon + "-" + id + ".dump";
        }
    }

    /** Whether the add-on's provider takes backups. */
    boolean takesBackups(Addon addon) {
        return provider(addon).backups().isPresent();
    }

    private Provider.Backups backupsOf(Addon addon) {
        return provider(addon).backups()
                .orElseThrow(() -> GridException.invalid(addon.provider() + " add-ons have no backups"));
    }

    public List<Backup> backups(String name) {
        return store.values("backups/" + name + "/", Backup.class).stream().sorted(Comparator.comparing(Backup::id)).toList();
    }

    public Backup capture(String name) {
        return capture(name, null);
    }

    /** Takes a backup; {@code slot} is the scheduled slot it is for (null: by hand). */
    Backup capture(String name, Instant slot) {
        Addon addon = get(name);
        Provider.Backups backups = backupsOf(addon);
        List<Backup> existing = backups(name);
        String id = String.format("b%03d", existing.isEmpty() ? 1 : Integer.parseInt(existing.get(existing.size() - 1).id().substring(1)) + 1);
        java.nio.file.Path file = null;
        try {
            // Dumped on the blob store's disk and renamed into place: a backup is whole or absent, and /tmp never fills up.
            String blob = new Backup(id, name, Instant.now(), 0).blob();
            file = platform.blobs().newFile(blob);
            backups.dump(resource(addon), file);
            Backup backup = new Backup(id, name, Instant.now(), java.nio.file.Files.size(file), slot);
            platform.blobs().move(backup.blob(), file);
            if (!store.txn().ifUnchanged("backups/" + name + "/" + id, 0).put("backups/" + name + "/" + id, backup).commit())
                throw GridException.conflict("another backup of " + name + " was taken meanwhile: try again");
            return backup;
        } catch (GridException e) {
            throw e;
        } catch (Exception e) {
            throw new GridException(503, "backing up " + name + " failed: " + e.getMessage());
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    /** Restores the backup (the latest if {@code id} is null) over the add-on's data. */
    public Backup restore(String name, String id) {
        Addon addon = get(name);
        Provider.Backups backups = backupsOf(addon);
        List<Backup> all = backups(name);
        if (all.isEmpty()) throw GridException.notFound(name + " has no backups: capture one first");
        Backup backup = id == null ? all.get(all.size() - 1) : find(name, id);
        restoreInto(addon, backups, fileOf(backup), backup.id());
        return backup;
    }

    /** One of the add-on's backups, or a 404 that says where to look. */
    private Backup find(String name, String id) {
        return backups(name).stream().filter(b -> b.id().equals(id)).findFirst()
                .orElseThrow(() -> GridException.notFound(name + " has no backup " + id + ": see 'grid pg:backups'"));
    }

    private java.nio.file.Path fileOf(Backup backup) {
        return platform.blobs().file(backup.blob())
                .orElseThrow(() -> GridException.conflict("the file of backup " + backup.id() + " is missing from the blob store"));
    }

    /** Restores {@code file} (a backup's, or one uploaded) over the add-on's data, all or nothing; {@code what} names it in errors. */
    private void restoreInto(Addon addon, Provider.Backups backups, java.nio.file.Path file, String what) {
        try {
            backups.restore(resource(addon), file);
        } catch (IllegalArgumentException e) {
            throw GridException.invalid(e.getMessage());
        } catch (Exception e) {
            throw new GridException(503, "restoring " + what + " into " + addon.name() + " failed, and the data is as it was: " + e.getMessage());
        }
    }

    /** How long a rotation waits for the attached apps to run with the new credentials before it retires the old. */
    static final java.time.Duration ROLL_WITHIN = java.time.Duration.ofMinutes(5);

    /**
     * pg:credentials:rotate: a new login (the old one still works), a new release with it for
     * every attached app, and once each app's jobs all run their new release, the old logins
     * retired. If the apps do not roll in {@link #ROLL_WITHIN}, the old logins stay and the
     * error says so (rotate again to finish).
     */
    public Map<String, Object> rotate(String name, String confirm) {
        Addon addon = get(name);
        if (!name.equals(confirm) && addon.attachments().keySet().stream().noneMatch(a -> a.equals(confirm))) {
            throw GridException.invalid("rotating restarts every app attached to " + name + ": confirm with --confirm and the app's name");
        }
        Provider.Credentials credentials = provider(addon).credentials()
                .orElseThrow(() -> GridException.invalid(addon.provider() + " add-ons cannot rotate their credentials"));
        Resource rotated;
        try {
            rotated = credentials.rotate(resource(addon));
        } catch (Exception e) {
            throw new GridException(503, "cannot make new credentials for " + name + ": " + e.getMessage());
        }
        for (int attempt = 0; ; attempt++) {
            Entry entry = store.get(KEY + name).orElseThrow(() -> GridException.notFound("no add-on named '" + name + "'"));
            Addon now = entry.as(Addon.class);
            Addon withLogin = now.withInternal(rotated.internal());
            if (store.txn().ifUnchanged(KEY + name, entry.modRevision()).put(KEY + name, withLogin).commit()) break;
            if (attempt == 10) throw GridException.conflict(name + " keeps changing: rotate again");
        }
        Map<String, String> env = rotated.env();
        changeEnv(name, a -> env);
        java.util.Set<String> apps = new java.util.TreeSet<>(get(name).attachments().keySet());
        String waiting = awaitRolled(apps, ROLL_WITHIN);
        if (waiting != null) {
            throw new GridException(504, "the new credentials are set, but " + waiting + " did not restart with them in " + ROLL_WITHIN.toMinutes()
                    + " minutes: the old password still works; rotate again once it has");
        }
        try {
            credentials.retire(resource(get(name)));
        } catch (Exception e) {
            throw new GridException(503, "the apps use the new credentials, but the old ones could not be retired: " + e.getMessage() + " (rotate again)");
        }
        log.info("add-on {}: credentials rotated; apps {} restarted with them, the old ones retired", name, apps);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("addon", name);
        out.put("apps", List.copyOf(apps));
        return out;
    }

    /** Null once every job of these apps (one-offs aside) runs the app's current release and is up; else an app that does not yet. */
    private String awaitRolled(java.util.Set<String> apps, java.time.Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            String waiting = null;
            Map<String, dev.grid.core.JobStatus> statuses = new HashMap<>();
            for (dev.grid.core.JobStatus st : store.values(dev.grid.store.Keys.STATUS, dev.grid.core.JobStatus.class)) statuses.put(st.jobId(), st);
            List<dev.grid.core.JobSpec> jobs = store.values(dev.grid.store.Keys.JOBS, dev.grid.core.JobSpec.class);
            for (String app : apps) {
                String current = releases.current(app).map(dev.grid.core.Release::id).orElse(null);
                boolean rolled = jobs.stream().filter(j -> j.app().equals(app) && !j.oneOff()).allMatch(j -> j.releaseId().equals(current)
                        && statuses.containsKey(j.id()) && statuses.get(j.id()).state() == dev.grid.core.JobState.UP);
                if (!rolled) waiting = app;
            }
            if (waiting == null || System.nanoTime() > deadline) return waiting;
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return waiting;
            }
        }
    }

    private Provider.Sessions sessionsOf(Addon addon) {
        return provider(addon).sessions().orElseThrow(() -> GridException.invalid(addon.provider() + " add-ons show no sessions"));
    }

    /** The add-on's live sessions (pg:ps), or the exclusive locks they hold (pg:locks). */
    public List<Map<String, Object>> sessions(String name, boolean locks) {
        Addon addon = get(name);
        Provider.Sessions sessions = sessionsOf(addon);
        try {
            return locks ? sessions.locks(resource(addon)) : sessions.list(resource(addon));
        } catch (Exception e) {
            throw new GridException(503, "cannot read the sessions of " + name + ": " + e.getMessage());
        }
    }

    /** Cancels a session's query, or ends the session (pg:kill [--force]): one of this add-on's sessions only. */
    public void kill(String name, long pid, boolean terminate) {
        Addon addon = get(name);
        Provider.Sessions sessions = sessionsOf(addon);
        try {
            sessions.kill(resource(addon), pid, terminate);
            log.info("add-on {}: session {} {}", name, pid, terminate ? "ended" : "cancelled");
        } catch (IllegalArgumentException e) {
            throw GridException.notFound(e.getMessage().replace("this add-on's", name + "'s"));
        } catch (Exception e) {
            throw new GridException(503, "cannot stop session " + pid + " of " + name + ": " + e.getMessage());
        }
    }

    /** The file of one of the add-on's backups. */
    public java.nio.file.Path backupFile(String name, String id) {
        get(name);
        return fileOf(find(name, id));
    }

    /**
     * Restores a dump made outside Grid over the add-on's data: kept on the blob store's disk
     * while it is checked and restored (all or nothing, as a backup is), then deleted.
     */
    public Map<String, Object> restoreFile(String name, java.io.InputStream dump) {
        Addon addon = get(name);
        Provider.Backups backups = backupsOf(addon);
        java.nio.file.Path file = null;
        try {
            file = platform.blobs().newFile(dev.grid.blobs.Blobs.BACKUP_PREFIX + name + "-upload-" + java.util.UUID.randomUUID() + ".dump");
            long bytes = java.nio.file.Files.copy(dump, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (bytes == 0) throw GridException.invalid("the file is empty: give " + backups.fileFormat());
            restoreInto(addon, backups, file, "the file");
            log.info("add-on {}: restored an uploaded dump of {} B", name, bytes);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("addon", name);
            out.put("bytes", bytes);
            return out;
        } catch (java.io.IOException e) {
            throw new GridException(503, "cannot keep the uploaded file on the blob store's disk: " + e.getMessage() + "; nothing was restored");
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    /**
     * Changes the add-on's settings ({@link Provider#configure}: Redis's maxmemory, timeout and
     * keyspace notifications) and returns every setting now; a bad one changes nothing.
     */
    public Map<String, Object> configure(String name, Map<String, String> changes) {
        Addon addon = get(name);
        Map<String, String> settings;
        try {
            settings = provider(addon).configure(resource(addon), changes == null ? Map.of() : changes);
        } catch (IllegalArgumentException e) {
            throw GridException.invalid(e.getMessage());
        } catch (Exception e) {
            throw new GridException(503, "changing the settings of " + name + " failed: " + e.getMessage());
        }
        log.info("add-on {}: settings {} (now {})", name, changes, settings);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("settings", settings);
        return out;
    }

    void deleteBackup(Backup b) {
        try {
            platform.blobs().delete(b.blob());
        } catch (java.io.IOException e) {
            log.warn("cannot delete {}: {}", b.blob(), e.toString());
        }
        store.delete("backups/" + b.addon() + "/" + b.id());
    }

    private static Resource resource(Addon addon) {
        return new Resource(addon.resourceId(), addon.env(), addon.internal());
    }

    /**
     * Each add-on's {@link Provider#upgrade}, in the background: once for every add-on, again
     * every {@code every} for those that failed (a cluster still starting), for {@code within}.
     */
    public Thread upgradeAll(java.time.Duration every, java.time.Duration within) {
        Thread t = new Thread(() -> {
            java.util.Set<String> pending = new java.util.TreeSet<>();
            Map<String, String> why = new HashMap<>();
            for (Addon a : list()) if (a.provisioned()) pending.add(a.name());
            long deadline = System.nanoTime() + within.toNanos();
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                for (var it = pending.iterator(); it.hasNext(); ) {
                    String name = it.next();
                    try {
                        changeEnv(name, asked((p, r) -> p.upgrade(r)));
                        it.remove();
                    } catch (GridException gone) {
                        it.remove(); // destroyed meanwhile
                    } catch (Exception e) {
                        // Said once per reason: a cluster still starting is normal, the same failure every round is not news.
                        if (!e.toString().equals(why.put(name, e.toString()))) log.info("add-on {}: upgrade not done yet (tried again every {}): {}", name, every, e.toString());
                    }
                }
                if (pending.isEmpty()) break;
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (!pending.isEmpty()) log.warn("add-ons {} could not be upgraded within {}: restart the controller to try again", pending, within);
        }, "addon-upgrades");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Every {@code every}, each add-on's {@link Provider#currentEnv}: what changed (TLS once its
     * cluster spans hosts) reaches its apps by a new release. Runs until the controller stops.
     */
    public Thread refreshEnv(java.time.Duration every) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                List<Addon> all;
                try {
                    all = list();
                } catch (RuntimeException e) {
                    all = List.of(); // etcd not answering: next round
                    log.debug("add-on configs not refreshed: {}", e.toString());
                }
                for (Addon a : all) {
                    if (!a.provisioned() || Thread.currentThread().isInterrupted()) continue;
                    try {
                        changeEnv(a.name(), asked((p, r) -> p.currentEnv(r)));
                    } catch (Exception e) {
                        log.debug("add-on {}: config not refreshed: {}", a.name(), e.toString());
                    }
                }
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "addon-config");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static java.util.Set<String> changedKeys(Map<String, String> before, Map<String, String> after) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        after.forEach((k, v) -> {
            if (!v.equals(before.get(k))) keys.add(k);
        });
        return keys;
    }

    /** A provider's answer for an add-on's env ({@link Provider#upgrade}, {@link Provider#currentEnv}), as {@link #changeEnv} asks it. */
    interface EnvQuestion {
        Map<String, String> ask(Provider provider, Resource resource) throws Exception;
    }

    private java.util.function.Function<Addon, Map<String, String>> asked(EnvQuestion question) {
        return addon -> {
            try {
                return question.ask(provider(addon), resource(addon));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    /**
     * The add-on's config is what {@code envOf} says of it now (its provider's upgrade or current
     * env): asked of the add-on as stored, and again if it changed meanwhile, so that two
     * controllers, or an upgrade and a refresh, never write back a config computed from an older
     * one. Every attached app gets by a new release what its attachment set and it still holds,
     * where that differs from the config (also what an earlier round wrote to the add-on but could
     * not yet give the app). Returns whether anything changed.
     */
    boolean changeEnv(String name, java.util.function.Function<Addon, Map<String, String>> envOf) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Entry entry = store.get(KEY + name).orElseThrow(() -> GridException.notFound("no add-on named '" + name + "'"));
            Addon addon = entry.as(Addon.class);
            Map<String, String> env = envOf.apply(addon);
            if (env == null) return false;
            Map<String, Map<String, String>> attachments = new HashMap<>();
            Map<String, Map<String, String>> changes = new TreeMap<>();
            for (var at : addon.attachments().entrySet()) {
                boolean gone = store.get(dev.grid.store.Keys.app(at.getKey())).isEmpty();
                Map<String, String> change = changedVars(at.getValue(), addon.varsFor(at.getKey(), env), gone ? Map.of() : releases.config(at.getKey()));
                Map<String, String> set = new HashMap<>(at.getValue());
                set.putAll(change);
                attachments.put(at.getKey(), set);
                if (!change.isEmpty()) changes.put(at.getKey(), change);
            }
            if (env.equals(addon.env()) && changes.isEmpty()) return false;
            if (!store.txn().ifUnchanged(KEY + name, entry.modRevision()).put(KEY + name, addon.withEnv(env, attachments)).commit()) continue;
            if (!env.equals(addon.env())) log.info("add-on {}: its config changes ({})", name, changedKeys(addon.env(), env));
            changes.forEach((app, change) -> {
                releases.changeConfig(app, change, List.of());
                log.info("add-on {}: {} set on {} by a new release", name, change.keySet(), app);
            });
            return true;
        }
        throw new IllegalStateException(name + " keeps changing: its config is refreshed next round");
    }

    /**
     * Of the vars an attachment set ({@code attached}), those the add-on's new config changes and
     * the app still holds as set: a var changed by hand since, or one the app no longer has, stays
     * the app's.
     */
    static Map<String, String> changedVars(Map<String, String> attached, Map<String, String> env, Map<String, String> appConfig) {
        Map<String, String> change = new TreeMap<>();
        attached.forEach((k, was) -> {
            String now = env.get(k);
            if (now != null && !now.equals(was) && was.equals(appConfig.get(k))) change.put(k, now);
        });
        // A var the add-on has now and had not (Postgres's CA once its cluster takes TLS): the app's unless it set one itself.
        env.forEach((k, now) -> {
            if (!attached.containsKey(k) && !appConfig.containsKey(k)) change.put(k, now);
        });
        return change;
    }

    /** The add-on as {@code grid addons:info} shows it: attachments, then what the provider says. */
    public Map<String, Object> info(String name) {
        Addon addon = get(name);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("name", addon.name());
        info.put("provider", addon.provider());
        info.put("plan", addon.plan());
        info.put("created_at", addon.createdAt().toString());
        info.put("attached_to", addon.attachments().keySet().stream().sorted().map(app -> addon.alias(app) == null ? app : app + " as " + addon.alias(app)).toList());
        info.put("config_vars", addon.env().keySet().stream().sorted().toList());
        info.putAll(provider(addon).info(resource(addon)));
        List<Route> routes = platform.tcpRoutes(provider(addon).services(resource(addon)));
        if (!routes.isEmpty()) {
            info.put("exposed", routes.stream().anyMatch(r -> !r.addonOnly())
                    ? "yes: port " + ports(routes) + " is open on every interface of every router (grid addons:unexpose " + name + " closes it)"
                    : "no: only where apps reach add-ons (GRID_ADDON_HOST)");
        }
        return info;
    }

    private static String ports(List<Route> routes) {
        return routes.stream().map(r -> String.valueOf(r.port())).collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * Opens the add-on's port on every interface of every router (as Dokku's postgres:expose),
     * or closes it back to where apps reach add-ons. A shared cluster's port is every tenant's:
     * exposing one of its add-ons exposes them all, and the answer says so.
     */
    public Map<String, Object> expose(String name, boolean exposed) {
        Addon addon = get(name);
        List<String> services = provider(addon).services(resource(addon));
        if (services.isEmpty()) throw GridException.conflict(name + " has no TCP port of its own to expose");
        List<Route> routes = platform.expose(services, exposed);
        if (routes.isEmpty()) throw GridException.conflict(name + " has no TCP route yet: try again once it is provisioned");
        if (exposed) log.warn("add-on {}: port {} exposed on every interface of every router, by an operator", name, ports(routes));
        else log.info("add-on {}: port {} open only where apps reach add-ons again", name, ports(routes));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("exposed", exposed);
        out.put("ports", routes.stream().map(Route::port).toList());
        // A shared cluster's port is its other tenants' too: they are named, so no one is surprised.
        out.put("shared_with", list().stream().filter(a -> !a.name().equals(name) && a.provider().equals(addon.provider())
                && provider(a).services(resource(a)).stream().anyMatch(services::contains)).map(Addon::name).sorted().toList());
        return out;
    }
}
