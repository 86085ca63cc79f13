package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pg:psql}, {@code pg:info}: the app's Postgres add-on. */
final class PgCommands {
    private PgCommands() {}

    /** The Postgres add-on attached to the app (the one that set its DATABASE_URL), or a clear error. */
    static String addonOf(Api api, String app) {
        List<String> names = new ArrayList<>();
        for (JsonNode a : api.get("/addons")) {
            if (!a.path("provider").asText().equals("postgres")) continue;
            for (JsonNode at : a.path("attachedTo")) if (at.asText().equals(app)) names.add(a.path("name").asText());
        }
        if (names.isEmpty()) throw new CliException(app + " has no Postgres add-on: grid addons:create postgres -a " + app);
        return names.get(0);
    }

    @Command(name = "pg:info", description = "Show the app's Postgres add-on: nodes, roles, lag, generation, last failover.")
    static final class Info extends Grid.AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + addonOf(api(), app));
        }

        @Override
        void render(JsonNode info) {
            AddonsCommands.renderInfo(out(), info);
        }
    }

    @Command(name = "pg:psql", description = "Open psql on the app's DATABASE_URL (needs psql here: apt-get install postgresql-client).")
    static final class Psql extends Grid.AppCommand {
        @Option(names = {"-c", "--command"}, description = "run this SQL and exit") String command;

        public Integer call() throws Exception {
            String url = api().get("/apps/" + app + "/config").path("DATABASE_URL").asText(null);
            if (url == null) throw new CliException(app + " has no DATABASE_URL: grid addons:create postgres -a " + app);
            List<String> cmd = new ArrayList<>(List.of("psql", url));
            if (command != null) cmd.addAll(List.of("-v", "ON_ERROR_STOP=1", "-c", command));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Process p;
            try {
                p = command == null ? pb.inheritIO().start() : pb.redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                throw new CliException("cannot run psql (" + e.getMessage() + "): apt-get install postgresql-client");
            }
            if (command != null) {
                out().print(new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                out().flush();
            }
            return p.waitFor();
        }
    }
}
