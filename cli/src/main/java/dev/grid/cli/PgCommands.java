package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pg:psql}, {@code pg:info}: the app's Postgres add-on. */
final class PgCommands {
    private PgCommands() {}

    /**
     * One add-on of a kind attached to an app, its attachment's name ({@code --as}, null for
     * none) and its URL var, as the API lists them: what its vars are called on the app, by the
     * controller's AttachmentVars rule.
     */
    record Attached(String addon, String alias, String urlVar) {
        /** The app's var for the add-on's var {@code k}: {@code ALIAS_URL} for its URL, {@code ALIAS_K} for the rest. */
        String var(String k) {
            if (alias == null) return k;
            return k.equals(urlVar) ? alias + "_URL" : alias + "_" + k;
        }

        @Override
        public String toString() {
            return alias == null ? addon : addon + " (as " + alias + ")";
        }
    }

    /** The app's Postgres add-on, or the one {@code choice} names: its name. */
    static String addonOf(Api api, String app, Grid.AddonChoice choice) {
        return attached(api, app, "postgres", choice).addon();
    }

    /**
     * The add-on of {@code provider} attached to the app, or among several the one {@code choice}
     * names (by its name or its attachment's), or a clear error.
     */
    static Attached attached(Api api, String app, String provider, Grid.AddonChoice choice) {
        api.get("/apps/" + app); // a clear error for an app that does not exist
        String wanted = choice == null ? null : choice.name;
        List<Attached> found = new ArrayList<>();
        for (JsonNode a : api.get("/addons")) {
            if (!a.path("provider").asText().equals(provider)) continue;
            for (JsonNode at : a.path("attachments")) {
                if (!at.path("app").asText().equals(app)) continue;
                String alias = at.path("as").isTextual() ? at.path("as").asText() : null;
                Attached one = new Attached(a.path("name").asText(), alias, at.path("urlVar").asText());
                if (wanted == null || wanted.equals(one.addon()) || wanted.equals(alias)) found.add(one);
            }
        }
        if (found.isEmpty() && wanted != null) {
            throw new CliException(app + " has no " + provider + " add-on named " + wanted + " (by its name or its attachment's): see grid addons");
        }
        if (found.isEmpty()) throw new CliException(app + " has no " + provider + " add-on: grid addons:create " + provider + " -a " + app);
        if (found.size() > 1) {
            throw new CliException(app + " has " + found.size() + " " + provider + " add-ons: " + found.stream().map(Attached::toString)
                    .collect(java.util.stream.Collectors.joining(", ")) + "; name one with --addon NAME");
        }
        return found.get(0);
    }

    @Command(name = "pg:info", description = "Show the app's Postgres add-on: nodes, roles, lag, generation, last failover.")
    static final class Info extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + addonOf(api(), app, choice));
        }

        @Override
        void render(JsonNode info) {
            AddonsCommands.renderInfo(out(), info);
        }
    }

    @Command(name = "pg:psql", description = "Open psql on the app's DATABASE_URL (needs psql here: apt-get install postgresql-client).")
    static final class Psql extends Grid.AddonCommand {
        @Option(names = {"-c", "--command"}, description = "run this SQL and exit") String command;

        public Integer call() throws Exception {
            Attached db = attached(api(), app, "postgres", choice);
            JsonNode config = api().get("/apps/" + app + "/config");
            String var = db.var("DATABASE_URL");
            if (config.path(var).isMissingNode()) throw new CliException(app + " has no " + var + " (unset by hand?): grid addons:detach and attach " + db.addon() + " again");
            PsqlCall call = PsqlCall.of(config.path(var).asText(), command);
            return Tool.run(call.command(), call.env(), command == null, out(), "postgresql-client");
        }
    }

    /**
     * psql on a DATABASE_URL with the password in PGPASSWORD and not in the arguments, where
     * every user of the machine could read it ({@code ps}, /proc/PID/cmdline).
     */
    record PsqlCall(List<String> command, java.util.Map<String, String> env) {
        static PsqlCall of(String databaseUrl, String sql) {
            java.net.URI u = java.net.URI.create(databaseUrl);
            String info = u.getRawUserInfo() == null ? "" : u.getRawUserInfo();
            int colon = info.indexOf(':');
            String user = colon < 0 ? info : info.substring(0, colon);
            String password = colon < 0 ? null : java.net.URLDecoder.decode(info.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8);
            String bare = u.getScheme() + "://" + (user.isEmpty() ? "" : user + "@") + u.getRawAuthority().substring(u.getRawAuthority().indexOf('@') + 1)
                    + (u.getRawPath() == null ? "" : u.getRawPath()) + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            List<String> cmd = new ArrayList<>(List.of("psql", bare));
            if (sql != null) cmd.addAll(List.of("-v", "ON_ERROR_STOP=1", "-c", sql));
            return new PsqlCall(cmd, password == null ? java.util.Map.of() : java.util.Map.of("PGPASSWORD", password));
        }
    }

    @Command(name = "pg:backups", description = "List the backups of the app's Postgres add-on.")
    static final class Backups extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + addonOf(api(), app, choice) + "/backups");
        }

        @Override
        void render(JsonNode backups) throws Exception {
            Table t = new Table("ID", "TAKEN", "SIZE");
            for (JsonNode b : backups) t.row(b.path("id").asText(), b.path("createdAt").asText(), b.path("bytes").asLong() + " B");
            t.print(out());
        }
    }

    @Command(name = "pg:backups:capture", description = "Back up the app's Postgres database (pg_dump, custom format) into the blob store.")
    static final class Capture extends Grid.AddonCommand {
        public Integer call() {
            String addon = addonOf(api(), app, choice);
            out().println("Backing up " + addon + "...");
            out().flush();
            JsonNode b = api().post("/addons/" + addon + "/backups", java.util.Map.of());
            out().println("Captured " + b.path("id").asText() + " (" + b.path("bytes").asLong() + " B)");
            out().flush();
            return 0;
        }
    }

    @Command(name = "pg:backups:restore", description = {"Replace the app's Postgres data with a backup (the latest by default), or with a pg_dump file (--file).",
            "All or nothing: a restore that fails leaves the data as it was."})
    static final class Restore extends Grid.AddonCommand {
        @picocli.CommandLine.Parameters(arity = "0..1", paramLabel = "ID") String id;
        @Option(names = "--file", description = "a pg_dump custom-format file (pg_dump -Fc) made outside Grid: checked, then restored") java.nio.file.Path file;
        @Option(names = "--confirm", description = "the app's name: the database's current data is replaced") String confirm;

        public Integer call() {
            if (!app.equals(confirm)) throw new CliException("restoring replaces the data of " + app + "'s database: confirm with --confirm " + app);
            if (file != null && id != null) throw new CliException("restore a backup ID or a --file, not both");
            String addon = addonOf(api(), app, choice);
            if (file != null) {
                if (!java.nio.file.Files.isRegularFile(file)) throw new CliException("no file " + file + ": --file names a pg_dump -Fc file");
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

    @Command(name = "pg:backups:download", description = "Save a backup of the app's Postgres add-on (the latest by default) as a pg_dump -Fc file.")
    static final class Download extends Grid.AddonCommand {
        @picocli.CommandLine.Parameters(arity = "0..1", paramLabel = "ID") String id;
        @Option(names = {"-o", "--output"}, description = "the file to write (default: ADDON-ID.dump here)") java.nio.file.Path output;

        public Integer call() throws Exception {
            String addon = addonOf(api(), app, choice);
            String backup = id;
            if (backup == null) {
                JsonNode all = api().get("/addons/" + addon + "/backups");
                if (all.isEmpty()) throw new CliException(addon + " has no backups: grid pg:backups:capture -a " + app);
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
            out().println("Saved " + backup + " of " + addon + " to " + to + " (" + size(to) + "): pg_restore --list " + to + " shows what it holds");
            out().flush();
            return 0;
        }
    }

    @Command(name = "pg:backups:schedule", description = "Back up the app's Postgres add-on every day at a time (--at '02:00 UTC'), keeping the newest N (--keep, 7).")
    static final class Schedule extends Grid.AddonCommand {
        @Option(names = "--at", required = true, description = "HH:MM and a time zone: '02:00 UTC', '23:30 America/New_York'") String at;
        @Option(names = "--keep", description = "how many scheduled backups to keep (default 7); the oldest go") Integer keep;

        public Integer call() {
            String addon = addonOf(api(), app, choice);
            JsonNode s = api().post("/addons/" + addon + "/backup-schedule", Api.map("at", at, "keep", keep));
            out().println("Scheduled a daily backup of " + addon + " at " + s.path("at").asText() + ", keeping " + s.path("keep").asInt()
                    + "; the next at " + s.path("next").asText());
            out().flush();
            return 0;
        }
    }

    @Command(name = "pg:backups:unschedule", description = "Stop the daily backups of the app's Postgres add-on (the backups taken stay).")
    static final class Unschedule extends Grid.AddonCommand {
        public Integer call() {
            String addon = addonOf(api(), app, choice);
            api().delete("/addons/" + addon + "/backup-schedule");
            out().println("Unscheduled the backups of " + addon + "; its backups stay (grid pg:backups -a " + app + ")");
            out().flush();
            return 0;
        }
    }

    @Command(name = "pg:backups:schedules", description = "Show the daily backup schedule of the app's Postgres add-on.")
    static final class Schedules extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            String addon = addonOf(api(), app, choice);
            com.fasterxml.jackson.databind.node.ArrayNode mine = Api.JSON.createArrayNode();
            for (JsonNode s : api().get("/backup-schedules")) if (s.path("addon").asText().equals(addon)) mine.add(s);
            return mine;
        }

        @Override
        void render(JsonNode schedules) {
            if (schedules.isEmpty()) {
                out().println("No backup schedule for " + app + ": grid pg:backups:schedule -a " + app + " --at '02:00 UTC'");
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

    /** A query as one line of a table: its whitespace folded, and cut at {@code max} characters. */
    static String oneLine(String query, int max) {
        String q = query == null ? "" : query.replaceAll("\\s+", " ").strip();
        return q.length() <= max ? q : q.substring(0, max - 1) + "…";
    }

    @Command(name = "pg:ps", description = "Show the sessions of the app's Postgres add-on and what each runs (its database only).")
    static final class Ps extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + addonOf(api(), app, choice) + "/sessions");
        }

        @Override
        void render(JsonNode sessions) {
            if (sessions.isEmpty()) {
                out().println("No session of " + app + "'s database is open.");
                return;
            }
            Table t = new Table("PID", "STATE", "SOURCE", "RUNNING FOR", "WAITING", "QUERY");
            for (JsonNode s : sessions) {
                t.row(s.path("pid").asText(), s.path("state").asText(""), s.path("source").asText(""), s.path("seconds").asLong() + " s",
                        s.path("waiting").asBoolean() ? "yes" : "no", oneLine(s.path("query").asText(""), 80));
            }
            t.print(out());
        }
    }

    @Command(name = "pg:locks", description = "Show the sessions of the app's Postgres add-on that hold exclusive locks, and on what.")
    static final class Locks extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + addonOf(api(), app, choice) + "/locks");
        }

        @Override
        void render(JsonNode locks) {
            if (locks.isEmpty()) {
                out().println("No session of " + app + "'s database holds an exclusive lock.");
                return;
            }
            Table t = new Table("PID", "RELATION", "TRANSACTION", "GRANTED", "MODE", "AGE", "QUERY");
            for (JsonNode l : locks) {
                t.row(l.path("pid").asText(), l.path("relation").asText(""), l.path("transaction").asText(""), l.path("granted").asBoolean() ? "yes" : "no",
                        l.path("mode").asText(), l.path("seconds").asLong() + " s", oneLine(l.path("query").asText(""), 60));
            }
            t.print(out());
        }
    }

    @Command(name = "pg:kill", description = "Cancel the query of a session of the app's Postgres add-on, or end the session (--force).")
    static final class Kill extends Grid.AddonCommand {
        @picocli.CommandLine.Parameters(paramLabel = "PID", description = "a session's PID, as grid pg:ps shows it") long pid;
        @Option(names = {"-f", "--force"}, description = "end the session, not only its query") boolean force;

        public Integer call() {
            String addon = addonOf(api(), app, choice);
            api().post("/addons/" + addon + "/sessions/" + pid + "/kill", Api.map("force", force));
            out().println((force ? "Ended session " : "Cancelled the query of session ") + pid + " of " + addon);
            out().flush();
            return 0;
        }
    }

    @Command(name = "pg:credentials:rotate", description = {"New credentials for the app's Postgres add-on: every attached app restarts with them,",
            "then the old password stops working."})
    static final class Rotate extends Grid.AddonCommand {
        @Option(names = "--confirm", description = "the app's name: its processes restart") String confirm;

        public Integer call() {
            if (!app.equals(confirm)) throw new CliException("rotating restarts every app attached to the database: confirm with --confirm " + app);
            String addon = addonOf(api(), app, choice);
            out().println("Rotating the credentials of " + addon + " (the apps restart with the new ones, then the old ones stop working)...");
            out().flush();
            JsonNode r = api().post("/addons/" + addon + "/credentials/rotate", Api.map("confirm", confirm));
            List<String> apps = new ArrayList<>();
            r.path("apps").forEach(a -> apps.add(a.asText()));
            out().println("Rotated: " + String.join(", ", apps) + " run with the new credentials; the old password no longer works");
            out().flush();
            return 0;
        }
    }
}
