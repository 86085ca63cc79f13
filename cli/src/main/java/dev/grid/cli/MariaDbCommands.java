package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mariadb:info}, {@code mariadb:cli}: the app's MariaDB add-on. */
final class MariaDbCommands {
    private MariaDbCommands() {}

    @Command(name = "mariadb:info", description = "Show the app's MariaDB add-on: its database, nodes, roles, replication lag, last failover, what it promises.")
    static final class Info extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + PgCommands.attached(api(), app, "mariadb", choice).addon());
        }

        @Override
        void render(JsonNode info) {
            AddonsCommands.renderInfo(out(), info);
        }
    }

    @Command(name = "mariadb:cli", description = "Open the mariadb client on the app's MariaDB add-on, or run one statement with -e (needs mariadb here: mariadb-client).")
    static final class Cli extends Grid.AddonCommand {
        @picocli.CommandLine.Option(names = {"-e", "--execute"}, description = "a statement to run instead of a session") String execute;

        public Integer call() throws Exception {
            PgCommands.Attached db = PgCommands.attached(api(), app, "mariadb", choice);
            JsonNode config = api().get("/apps/" + app + "/config");
            if (!config.has(db.var("MYSQL_PASSWORD"))) {
                throw new CliException(app + " has no " + db.var("MYSQL_PASSWORD") + " (unset by hand?): grid addons:detach and attach " + db.addon() + " again");
            }
            // The password in MYSQL_PWD, never in the arguments, where ps would show it.
            List<String> cmd = new ArrayList<>(List.of("mariadb", "-h", config.path(db.var("MYSQL_HOST")).asText(), "-P", config.path(db.var("MYSQL_PORT")).asText(),
                    "-u", config.path(db.var("MYSQL_USER")).asText(), config.path(db.var("MYSQL_DATABASE")).asText()));
            if (execute != null) cmd.addAll(List.of("-e", execute));
            return Tool.run(cmd, java.util.Map.of("MYSQL_PWD", config.path(db.var("MYSQL_PASSWORD")).asText()), execute == null, out(), "mariadb-client");
        }
    }
}
