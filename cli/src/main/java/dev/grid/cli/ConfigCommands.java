package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Config vars and rollback: each change makes a new release, which is deployed. */
final class ConfigCommands {
    private ConfigCommands() {}

    @Command(name = "config", description = "Show an app's config vars.")
    static final class Show extends Grid.AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app + "/config");
        }

        @Override
        void render(JsonNode vars) throws Exception {
            out().println("=== " + app + " Config Vars");
            int width = 0;
            for (var it = vars.fieldNames(); it.hasNext(); ) width = Math.max(width, it.next().length());
            int w = width;
            vars.fields().forEachRemaining(e -> out().println(e.getKey() + ":" + " ".repeat(w - e.getKey().length() + 1) + e.getValue().asText()));
            out().flush();
        }
    }

    @Command(name = "config:get", description = "Print one config var's value.")
    static final class Get extends Grid.AppCommand {
        @Parameters(paramLabel = "KEY") String key;

        public Integer call() {
            JsonNode vars = api().get("/apps/" + app + "/config");
            if (!vars.has(key)) throw new CliException("config var " + key + " is not set on " + app);
            out().println(vars.path(key).asText());
            out().flush();
            return 0;
        }
    }

    @Command(name = "config:set", description = "Set config vars (a new release, deployed).")
    static final class Set extends Grid.AppCommand {
        @Parameters(paramLabel = "KEY=VALUE", arity = "1..*") List<String> pairs;

        public Integer call() {
            Map<String, String> set = new LinkedHashMap<>();
            for (String p : pairs) {
                String[] kv = Grid.pair(p, "config var", "KEY=VALUE");
                set.put(kv[0], kv[1]);
            }
            JsonNode r = api().patch("/apps/" + app + "/config", Api.map("set", set));
            out().println("Setting " + String.join(", ", set.keySet()) + " and restarting " + app + "... done, v" + r.path("version").asInt());
            out().flush();
            return 0;
        }
    }

    @Command(name = "config:unset", description = "Remove config vars (a new release, deployed).")
    static final class Unset extends Grid.AppCommand {
        @Parameters(paramLabel = "KEY", arity = "1..*") List<String> keys;

        public Integer call() {
            JsonNode r = api().patch("/apps/" + app + "/config", Api.map("unset", keys));
            out().println("Unsetting " + String.join(", ", keys) + " and restarting " + app + "... done, v" + r.path("version").asInt());
            out().flush();
            return 0;
        }
    }

    @Command(name = "releases:info", description = "Show one release.")
    static final class Info extends Grid.AppRead {
        @Parameters(paramLabel = "vN") String version;
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app + "/releases/" + version);
        }

        @Override
        void render(JsonNode r) throws Exception {
            out().println("=== Release v" + r.path("version").asInt());
            out().println("By:      " + r.path("description").asText(""));
            out().println("Image:   " + r.path("image").asText());
            out().println("When:    " + r.path("createdAt").asText());
            r.path("processes").fields().forEachRemaining(e -> out().println("Process: " + e.getKey() + ": " + e.getValue().path("command").asText()));
            out().println("Config:  " + String.join(", ", (Iterable<String>) r.path("env")::fieldNames));
            out().flush();
        }
    }

    @Command(name = "releases:rollback", description = "Deploy an earlier release's code and config again, as a new release (default: the previous one).")
    static final class Rollback extends Grid.AppCommand {
        @Parameters(paramLabel = "vN", arity = "0..1") String version;

        public Integer call() {
            Integer v = null;
            if (version != null) {
                try {
                    v = Integer.parseInt(version.startsWith("v") ? version.substring(1) : version);
                } catch (NumberFormatException e) {
                    throw new CliException("invalid release '" + version + "': use vN, e.g. v3");
                }
            }
            JsonNode r = api().post("/apps/" + app + "/releases/rollback", Api.map("version", v));
            out().println("Rolling back " + app + "... done, v" + r.path("version").asInt() + " (" + r.path("description").asText() + ")");
            out().flush();
            return 0;
        }
    }
}
