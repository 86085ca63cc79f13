package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code redis:cli}, {@code redis:info}, and the settings the app's user may not change with
 * {@code CONFIG}: {@code redis:maxmemory}, {@code redis:timeout}, {@code redis:keyspace-notifications}
 * (as Heroku's, with the same options).
 */
final class RedisCommands {
    private RedisCommands() {}

    /** Changes settings of the app's Redis add-on and prints what they are now. */
    static int configure(Grid.AddonCommand command, java.util.Map<String, String> changes, String note) {
        String addon = PgCommands.attached(command.api(), command.app, "redis", command.choice).addon();
        JsonNode r = command.api().patch("/addons/" + addon + "/settings", changes);
        command.out().println("Updated " + addon + ": " + AddonsCommands.pairs(r.path("settings")));
        if (note != null) command.out().println(note);
        command.out().flush();
        return 0;
    }

    @Command(name = "redis:maxmemory", description = {"Set what the app's Redis evicts once it holds its maxmemory (as heroku redis:maxmemory),",
            "and optionally that size. Policies: noeviction (the default: writes are refused), allkeys-lru, allkeys-lfu,",
            "allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl."})
    static final class Maxmemory extends Grid.AddonCommand {
        @picocli.CommandLine.Option(names = {"-p", "--policy"}, description = "the eviction policy") String policy;
        @picocli.CommandLine.Option(names = {"-s", "--size"}, description = "the memory Redis may use for data, e.g. 64mb (0: no limit, the default)") String size;

        public Integer call() {
            java.util.Map<String, String> changes = new java.util.LinkedHashMap<>();
            if (policy != null) changes.put("maxmemory-policy", policy);
            if (size != null) changes.put("maxmemory", size);
            if (changes.isEmpty()) throw new CliException("name a --policy (e.g. allkeys-lru), a --size (e.g. 64mb), or both");
            JsonNode now = api().get("/addons/" + PgCommands.attached(api(), app, "redis", choice).addon()).path("settings");
            boolean noSize = size == null ? "0".equals(now.path("maxmemory").asText()) : size.strip().equals("0");
            return configure(this, changes, noSize ? "Note: with no maxmemory set, Redis evicts nothing and grows until its node's memory is used"
                    + " up; set one with --size for the policy to act." : null);
        }
    }

    @Command(name = "redis:timeout", description = "Close the app's Redis connections once idle this long (as heroku redis:timeout); 0 never does (the default).")
    static final class Timeout extends Grid.AddonCommand {
        @picocli.CommandLine.Option(names = {"-s", "--seconds"}, required = true, description = "idle seconds, 0 for never") String seconds;

        public Integer call() {
            return configure(this, java.util.Map.of("timeout", seconds), null);
        }
    }

    @Command(name = "redis:keyspace-notifications", description = {"Set which keyspace events the app's Redis publishes (as heroku",
            "redis:keyspace-notifications), in Redis's letters: e.g. KEA for all, Ex for expiries, \"\" for none (the default)."})
    static final class KeyspaceNotifications extends Grid.AddonCommand {
        @picocli.CommandLine.Option(names = {"-c", "--config"}, required = true, description = "the event classes, e.g. KEA") String config;

        public Integer call() {
            return configure(this, java.util.Map.of("notify-keyspace-events", config), null);
        }
    }

    @Command(name = "redis:info", description = "Show the app's Redis add-on: nodes, roles, replication lag, last failover, what it promises.")
    static final class Info extends Grid.AddonRead {
        @Override
        JsonNode fetch() {
            return api().get("/addons/" + PgCommands.attached(api(), app, "redis", choice).addon());
        }

        @Override
        void render(JsonNode info) {
            AddonsCommands.renderInfo(out(), info);
        }
    }

    @Command(name = "redis:cli", description = "Open redis-cli on the app's REDIS_URL, or run one command (needs redis-cli here: redis-tools).")
    static final class Cli extends Grid.AddonCommand {
        @Parameters(arity = "0..*", paramLabel = "COMMAND") List<String> command;

        public Integer call() throws Exception {
            PgCommands.Attached kv = PgCommands.attached(api(), app, "redis", choice);
            JsonNode config = api().get("/apps/" + app + "/config");
            if (!config.has(kv.var("REDIS_URL"))) throw new CliException(app + " has no " + kv.var("REDIS_URL") + " (unset by hand?): grid addons:detach and attach " + kv.addon() + " again");
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", config.path(kv.var("REDIS_HOST")).asText(), "-p", config.path(kv.var("REDIS_PORT")).asText()));
            java.nio.file.Path ca = null;
            try {
                if (config.path(kv.var("REDIS_URL")).asText().startsWith("rediss://")) {
                    // TLS, checking the server against the cluster's CA from the app's config.
                    ca = java.nio.file.Files.createTempFile("grid-redis-ca", ".crt");
                    java.nio.file.Files.writeString(ca, config.path(kv.var("REDIS_CA_CERT")).asText());
                    cmd.addAll(List.of("--tls", "--cacert", ca.toString()));
                }
                if (command != null) cmd.addAll(command);
                return Tool.run(cmd, java.util.Map.of("REDISCLI_AUTH", config.path(kv.var("REDIS_PASSWORD")).asText()), command == null, out(), "redis-tools");
            } finally {
                if (ca != null) java.nio.file.Files.deleteIfExists(ca);
            }
        }
    }
}
