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
