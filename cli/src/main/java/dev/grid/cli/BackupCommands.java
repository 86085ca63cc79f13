package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The backups of an app's add-on, the same for every kind that has them: {@code pg:backups*}
 * (pg_dump files), {@code redis:backups*} (RDB snapshots) and {@code mariadb:backups*} (mariadb-dump files). Each command is written once, over the
 * {@link Kind} its name says; the classes at the end only name them.
 */
final class BackupCommands {
    private BackupCommands() {}

    /** A kind of add-on with backups: its provider, its commands' prefix, and what its backup files are. */
    enum Kind {
        PG("postgres", "pg", "Postgres", "a pg_dump custom-format file (pg_dump -Fc)", "pg_restore --list %s shows what it holds"),
        REDIS("redis", "redis", "Redis", "a Redis RDB file (redis-cli --rdb)", "redis-check-rdb %s checks it"),
        MARIADB("mariadb", "mariadb", "MariaDB", "a mariadb-dump file of one database (SQL)", "mariadb DATABASE < %s loads it");

        final String provider;
        final String prefix;
        final String title;
        final String file;
        final String inspect;

        Kind(String provider, String prefix, String title, String file, String inspect) {
            this.provider = provider;
            this.prefix = prefix;
            this.title = title;
            this.file = file;
            this.inspect = inspect;
        }

        /** The kind a command's name says: {@code pg:...}, {@code redis:...} or {@code mariadb:...}. */
        static Kind of(String command) {
            for (Kind k : values()) if (command.startsWith(k.prefix + ":")) return k;
            throw new IllegalArgumentException("no kind of add-on has backup commands named " + command);
        }

        String addon(Grid.AddonCommand c) {
            return PgCommands.attached(c.api(), c.app, provider, c.choice).addon();
        }

        String addon(Grid.AddonRead c) {
            return PgCommands.attached(c.api(), c.app, provider, c.choice).addon();
        }
    }

    abstract static class ListBackups extends Grid.AddonRead {
        Kind kind() {
            return Kind.of(spec.name());
        }

        @Override
        JsonNode fetch() {
            return api().get("/addons/" + kind().addon(this) + "/backups");
        }

        @Override
        void render(JsonNode backups) throws Exception {
            if (backups.isEmpty()) {
                out().println(app + "'s " + kind().title + " add-on has no backups: grid " + kind().prefix + ":backups:capture -a " + app);
                return;
            }
            Table t = new Table("ID", "TAKEN", "SIZE");
            for (JsonNode b : backups) t.row(b.path("id").asText(), b.path("createdAt").asText(), b.path("bytes").asLong() + " B");
            t.print(out());
        }
    }

    abstract static class Capture extends Grid.AddonCommand {
        Kind kind() {
            return Kind.of(spec.name());
        }

        public Integer call() {
            String addon = kind().addon(this);
            out().println("Backing up " + addon + "...");
            out().flush();
            JsonNode b = api().post("/addons/" + addon + "/backups", java.util.Map.of());
            out().println("Captured " + b.path("id").asText() + " (" + b.path("bytes").asLong() + " B)");
            out().flush();
            return 0;
        }
    }

    abstract static class Restore extends Grid.AddonCommand {
        @Parameters(arity = "0..1", paramLabel = "ID") String id;
        @Option(names = "--file", description = "a backup file made outside Grid (pg:backups:restore: pg_dump -Fc; redis:backups:restore: an RDB; mariadb:backups:restore: mariadb-dump of one database): checked, then restored")
        java.nio.file.Path file;
        @Option(names = "--confirm", description = "the app's name: the add-on's current data is replaced") String confirm;

        Kind kind() {
            return Kind.of(spec.name());
        }

        public Integer call() {
            if (!app.equals(confirm)) throw new CliException("restoring replaces the data of " + app + "'s " + kind().title + " add-on: confirm with --confirm " + app);
            if (file != null && id != null) throw new CliException("restore a backup ID or a --file, not both");
            String addon = kind().addon(this);
            if (file != null) {
                if (!java.nio.file.Files.isRegularFile(file)) throw new CliException("no file " + file + ": --file names " + kind().file);
                out().println("Uploading " + file + " (" + size(file) + ") and restoring it into " + addon + "...");
                out().flush();
                api().upload("/addons/" + addon + "/restore/file", file);
                out().println("Restored " + file.getFileName() + " into " + addon);
                out().flush();
                return 0;
            }
            JsonNode b = api().post("/addons/" + addon + "/restore", Api.map("backup", id));
            out().println("Restored " + b.path("id").asText() + " into " + addon);
            out().flush();
            return 0;
        }
    }

    private static String size(java.nio.file.Path file) {
        try {
            return java.nio.file.Files.size(file) + " B";
        } catch (java.io.IOException e) {
            return "size unknown";
        }
    }

    abstract static class Download extends Grid.AddonCommand {
        @Parameters(arity = "0..1", paramLabel = "ID") String id;
        @Option(names = {"-o", "--output"}, description = "the file to write (default: ADDON-ID.dump here)") java.nio.file.Path output;

        Kind kind() {
            return Kind.of(spec.name());
        }

        public Integer call() throws Exception {
            String addon = kind().addon(this);
            String backup = id;
            if (backup == null) {
                JsonNode all = api().get("/addons/" + addon + "/backups");
                if (all.isEmpty()) throw new CliException(addon + " has no backups: grid " + kind().prefix + ":backups:capture -a " + app);
                backup = all.get(all.size() - 1).path("id").asText();
            }
            java.nio.file.Path to = output != null ? output : grid.workDir().resolve(addon + "-" + backup + ".dump");
            java.nio.file.Path part = to.resolveSibling(to.getFileName() + ".part");
            // Whole or absent: written beside, then renamed.
            try (var in = api().stream("/addons/" + addon + "/backups/" + backup + "/download")) {
                java.nio.file.Files.copy(in, part, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.io.IOException e) {
                java.nio.file.Files.deleteIfExists(part);
                throw new CliException("cannot write " + to + ": " + e.getMessage());
            }
            java.nio.file.Files.move(part, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            out().println("Saved " + backup + " of " + addon + " to " + to + " (" + size(to) + "), " + kind().file + ": "
                    + String.format(kind().inspect, to));
            out().flush();
            return 0;
        }
    }

    abstract static class Schedule extends Grid.AddonCommand {
        @Option(names = "--at", required = true, description = "HH:MM and a time zone: '02:00 UTC', '23:30 America/New_York'") String at;
        @Option(names = "--keep", description = "how many scheduled backups to keep (default 7); the oldest go") Integer keep;

        Kind kind() {
            return Kind.of(spec.name());
        }

        public Integer call() {
            String addon = kind().addon(this);
            JsonNode s = api().post("/addons/" + addon + "/backup-schedule", Api.map("at", at, "keep", keep));
            out().println("Scheduled a daily backup of " + addon + " at " + s.path("at").asText() + ", keeping " + s.path("keep").asInt()
                    + "; the next at " + s.path("next").asText());
            out().flush();
            return 0;
        }
    }

    abstract static class Unschedule extends Grid.AddonCommand {
        Kind kind() {
            return Kind.of(spec.name());
        }

        public Integer call() {
            String addon = kind().addon(this);
            api().delete("/addons/" + addon + "/backup-schedule");
            out().println("Unscheduled the backups of " + addon + "; its backups stay (grid " + kind().prefix + ":backups -a " + app + ")");
            out().flush();
            return 0;
        }
    }

    abstract static class Schedules extends Grid.AddonRead {
        Kind kind() {
            return Kind.of(spec.name());
        }

        @Override
        JsonNode fetch() {
            String addon = kind().addon(this);
            com.fasterxml.jackson.databind.node.ArrayNode mine = Api.JSON.createArrayNode();
            for (JsonNode s : api().get("/backup-schedules")) if (s.path("addon").asText().equals(addon)) mine.add(s);
            return mine;
        }

        @Override
        void render(JsonNode schedules) {
            if (schedules.isEmpty()) {
                out().println("No backup schedule for " + app + ": grid " + kind().prefix + ":backups:schedule -a " + app + " --at '02:00 UTC'");
                return;
            }
            Table t = new Table("ADD-ON", "DAILY AT", "KEEP", "NEXT", "LAST");
            for (JsonNode s : schedules) {
                t.row(s.path("addon").asText(), s.path("at").asText(), s.path("keep").asText(), s.path("next").asText(),
                        s.path("lastSlot").isNull() ? "-" : s.path("lastSlot").asText());
            }
            t.print(out());
        }
    }

    // The commands: one per kind, naming the shared ones above (the name's prefix is the kind).

    @Command(name = "pg:backups", description = "List the backups of the app's Postgres add-on.")
    static final class PgList extends ListBackups {}

    @Command(name = "pg:backups:capture", description = "Back up the app's Postgres database (pg_dump, custom format) into the blob store.")
    static final class PgCapture extends Capture {}

    @Command(name = "pg:backups:restore", description = {"Replace the app's Postgres data with a backup (the latest by default), or with a pg_dump file (--file).",
            "All or nothing: a restore that fails leaves the data as it was."})
    static final class PgRestore extends Restore {}

    @Command(name = "pg:backups:download", description = "Save a backup of the app's Postgres add-on (the latest by default) as a pg_dump -Fc file.")
    static final class PgDownload extends Download {}

    @Command(name = "pg:backups:schedule", description = "Back up the app's Postgres add-on every day at a time (--at '02:00 UTC'), keeping the newest N (--keep, 7).")
    static final class PgSchedule extends Schedule {}

    @Command(name = "pg:backups:unschedule", description = "Stop the daily backups of the app's Postgres add-on (the backups taken stay).")
    static final class PgUnschedule extends Unschedule {}

    @Command(name = "pg:backups:schedules", description = "Show the daily backup schedule of the app's Postgres add-on.")
    static final class PgSchedules extends Schedules {}

    @Command(name = "redis:backups", description = "List the backups (RDB snapshots) of the app's Redis add-on.")
    static final class RedisList extends ListBackups {}

    @Command(name = "redis:backups:capture", description = "Back up the app's Redis (an RDB snapshot, taken from a replica that holds every write) into the blob store.")
    static final class RedisCapture extends Capture {}

    @Command(name = "redis:backups:restore", description = {"Replace the app's Redis data with a backup (the latest by default), or with an RDB file (--file).",
            "All or nothing: Redis runs the restore as one transaction, or refuses it and keeps its data."})
    static final class RedisRestore extends Restore {}

    @Command(name = "redis:backups:download", description = "Save a backup of the app's Redis add-on (the latest by default) as an RDB file.")
    static final class RedisDownload extends Download {}

    @Command(name = "redis:backups:schedule", description = "Back up the app's Redis add-on every day at a time (--at '02:00 UTC'), keeping the newest N (--keep, 7).")
    static final class RedisSchedule extends Schedule {}

    @Command(name = "redis:backups:unschedule", description = "Stop the daily backups of the app's Redis add-on (the backups taken stay).")
    static final class RedisUnschedule extends Unschedule {}

    @Command(name = "redis:backups:schedules", description = "Show the daily backup schedule of the app's Redis add-on.")
    static final class RedisSchedules extends Schedules {}

    @Command(name = "mariadb:backups", description = "List the backups (mariadb-dump files) of the app's MariaDB add-on.")
    static final class MariaDbList extends ListBackups {}

    @Command(name = "mariadb:backups:capture", description = "Back up the app's MariaDB database (mariadb-dump, one transaction: tables and rows) into the blob store.")
    static final class MariaDbCapture extends Capture {}

    @Command(name = "mariadb:backups:restore", description = {"Replace the app's MariaDB tables with a backup (the latest by default), or with a mariadb-dump file (--file).",
            "All or nothing: the file is loaded beside the data, then every table is swapped at once."})
    static final class MariaDbRestore extends Restore {}

    @Command(name = "mariadb:backups:download", description = "Save a backup of the app's MariaDB add-on (the latest by default) as a mariadb-dump file.")
    static final class MariaDbDownload extends Download {}

    @Command(name = "mariadb:backups:schedule", description = "Back up the app's MariaDB add-on every day at a time (--at '02:00 UTC'), keeping the newest N (--keep, 7).")
    static final class MariaDbSchedule extends Schedule {}

    @Command(name = "mariadb:backups:unschedule", description = "Stop the daily backups of the app's MariaDB add-on (the backups taken stay).")
    static final class MariaDbUnschedule extends Unschedule {}

    @Command(name = "mariadb:backups:schedules", description = "Show the daily backup schedule of the app's MariaDB add-on.")
    static final class MariaDbSchedules extends Schedules {}
}
