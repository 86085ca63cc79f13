package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code redis:cli}, {@code redis:info}: the app's Redis add-on. */
final class RedisCommands {
    private RedisCommands() {}

    @Command(name = "redis:info", description = "Show the app's Redis add-on: nodes, roles, replication lag, last failover, what it promises.")
    static final class Info extends Grid.AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + PgCommands.addonOf(api(), app, "redis"));
        }

        @Override
        void render(JsonNode info) {
            AddonsCommands.renderInfo(out(), info);
        }
    }

    @Command(name = "redis:cli", description = "Open redis-cli on the app's REDIS_URL, or run one command (needs redis-cli here: redis-tools).")
    static final class Cli extends Grid.AppCommand {
        @Parameters(arity = "0..*", paramLabel = "COMMAND") List<String> command;

        public Integer call() throws Exception {
            JsonNode config = api().get("/apps/" + app + "/config");
            if (!config.has("REDIS_URL")) throw new CliException(app + " has no REDIS_URL: grid addons:create redis -a " + app);
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", config.path("REDIS_HOST").asText(), "-p", config.path("REDIS_PORT").asText()));
            if (command != null) cmd.addAll(command);
            return Tool.run(cmd, java.util.Map.of("REDISCLI_AUTH", config.path("REDIS_PASSWORD").asText()), command == null, out(), "redis-tools");
        }
    }
}
