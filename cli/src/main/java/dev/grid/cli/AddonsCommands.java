package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Add-ons, as on Heroku: {@code addons}, {@code addons:create}, {@code :info}, {@code :attach}, {@code :detach}, {@code :destroy}. */
final class AddonsCommands {
    private AddonsCommands() {}

    @Command(name = "addons", description = "List add-ons and the apps they are attached to.")
    static final class List extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/addons");
        }

        @Override
        void render(JsonNode addons) throws Exception {
            Table t = new Table("NAME", "PROVIDER", "PLAN", "STATE", "ATTACHED TO");
            for (JsonNode a : addons) {
                java.util.List<String> to = new ArrayList<>();
                for (JsonNode at : a.path("attachments")) to.add(at.path("app").asText() + (at.path("as").isTextual() ? " as " + at.path("as").asText() : ""));
                t.row(a.path("name").asText(), a.path("provider").asText(), a.path("plan").asText(), a.path("state").asText(), String.join(", ", to));
            }
            t.print(out());
        }
    }

    @Command(name = "addons:services", description = "List the add-on providers and their plans.")
    static final class Services extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/providers");
        }

        @Override
        void render(JsonNode providers) throws Exception {
            Table t = new Table("PROVIDER", "PLANS");
            providers.fields().forEachRemaining(e -> t.row(e.getKey(), join(e.getValue())));
            t.print(out());
        }
    }

    @Command(name = "addons:create", description = {"Provision an add-on and attach it to an app, e.g.",
            "  grid addons:create postgres -a myapp",
            "  grid addons:create postgres -a myapp --as ANALYTICS    (a second one: ANALYTICS_URL, ANALYTICS_PGHOST, ...)"})
    static final class Create extends Grid.Base {
        @Parameters(paramLabel = "PROVIDER[:PLAN]") String service;
        @Option(names = "--plan", description = "the plan (default: the provider's first)") String plan;
        @Option(names = "--name", description = "the add-on's name (default: PROVIDER-random)") String name;
        @Option(names = "--as", paramLabel = "ALIAS", description = "the attachment's name: the add-on's URL is set as ALIAS_URL and its other vars as ALIAS_VAR") String as;
        @Option(names = {"-a", "--app"}, description = "attach to this app") String app;
        @Option(names = "--replicas", description = "Redis: how many replicas (default 1)") Integer replicas;
        @Option(names = "--rollback", paramLabel = "ADDON", description = "Postgres: a copy of ADDON's database as it was at --to TIME") String rollback;
        @Option(names = "--to", paramLabel = "TIME", description = "with --rollback: e.g. '2026-12-07 09:30 UTC' or 2026-12-07T09:30:00Z") String to;
        @Option(names = "--fork", paramLabel = "ADDON", description = "Postgres: a copy of ADDON's database as it is now") String fork;
        @Option(names = "--option", description = "a provider option KEY=VALUE") Map<String, String> options;

        public Integer call() {
            Map<String, String> opts = new java.util.TreeMap<>(options == null ? Map.of() : options);
            if (replicas != null) opts.put("replicas", String.valueOf(replicas));
            if (rollback != null) opts.put("rollback", rollback);
            if (to != null) opts.put("to", to);
            if (fork != null) opts.put("fork", fork);
            String provider = service;
            if (service.contains(":")) {
                provider = service.substring(0, service.indexOf(':'));
                plan = service.substring(service.indexOf(':') + 1);
            }
            out().println("Creating " + (name == null ? "a " + provider + " add-on" : name) + (app == null ? "" : " for " + app)
                    + (rollback != null ? " from " + rollback + " as of " + to : fork != null ? " from " + fork + " as of now" : "")
                    + "... (" + (rollback != null || fork != null ? "a copy replays the archive in a scratch server: a minute or more"
                    : "an add-on that needs a new cluster waits for it: about 10 s") + ")");
            out().flush();
            long start = System.nanoTime();
            if (as != null && app == null) throw new CliException("--as names an attachment: attach to an app with -a APP");
            JsonNode a = api().post("/addons", Api.map("provider", provider, "plan", plan, "name", name, "app", app, "as", as,
                    "options", opts.isEmpty() ? null : opts));
            out().printf("Created %s (%s:%s) in %.1f s%n", a.path("name").asText(), a.path("provider").asText(), a.path("plan").asText(),
                    (System.nanoTime() - start) / 1e9);
            if (app != null) out().println("Attached to " + app + " as " + join(varsOn(a, app)) + ": a new release deploys with them");
            out().flush();
            return 0;
        }
    }

    @Command(name = "addons:info", description = "Show an add-on: its attachments and what its appliance reports (roles, lag, failovers).")
    static final class Info extends Grid.Read {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        JsonNode fetch() {
            return api().get("/addons/" + name);
        }

        @Override
        void render(JsonNode info) {
            renderInfo(out(), info);
        }
    }

    /** A node's lag as the add-on counts it ({@code lag_bytes}: "1024 B"; {@code lag_transactions}: "3 transactions"); blank for none. */
    static String lag(JsonNode node) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.startsWith("lag_")) continue;
            String unit = f.substring(4);
            return node.path(f).asLong() + (unit.equals("bytes") ? " B" : " " + unit);
        }
        return "";
    }

    static void renderInfo(java.io.PrintWriter out, JsonNode info) {
        for (Iterator<Map.Entry<String, JsonNode>> it = info.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("nodes")) continue;
            out.printf("%-14s %s%n", e.getKey().replace('_', ' ') + ":", e.getValue().isArray() ? join(e.getValue())
                    : e.getValue().isObject() ? pairs(e.getValue()) : e.getValue().asText());
        }
        if (info.has("nodes")) {
            out.println();
            Table t = new Table("NODE", "ROLE", "ADDRESS", "LAG", "STATE", "KEEPER");
            for (JsonNode n : info.path("nodes")) {
                t.row(n.path("node").asText(), n.path("role").asText(), n.path("address").asText(),
                        lag(n), n.path("state").asText(), n.path("keeper").asText());
            }
            t.print(out);
        }
        out.flush();
    }

    /** The vars the add-on's attachment set on {@code app}. */
    private static JsonNode varsOn(JsonNode addon, String app) {
        for (JsonNode at : addon.path("attachments")) if (at.path("app").asText().equals(app)) return at.path("configVars");
        return addon.path("configVars");
    }

    @Command(name = "addons:attach", description = {"Attach an add-on to an app: its config vars are set by a new release.",
            "With --as ALIAS its URL is set as ALIAS_URL and its other vars as ALIAS_VAR, beside another add-on's."})
    static final class Attach extends Grid.AppCommand {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--as", paramLabel = "ALIAS", description = "the attachment's name (capitals, digits, underscores)") String as;

        public Integer call() {
            JsonNode a = api().post("/addons/" + name + "/attachments", Api.map("app", app, "as", as));
            out().println("Attached " + name + " to " + app + (as == null ? "" : " as " + as) + " (" + join(varsOn(a, app)) + ")");
            out().flush();
            return 0;
        }
    }

    @Command(name = "addons:detach", description = "Detach an add-on: removes the config vars it set that are unchanged since.")
    static final class Detach extends Grid.AppCommand {
        @Parameters(paramLabel = "NAME") String name;

        public Integer call() {
            api().delete("/addons/" + name + "/attachments/" + app);
            out().println("Detached " + name + " from " + app);
            out().flush();
            return 0;
        }
    }

    @Command(name = "addons:destroy", description = "Detach an add-on from every app and delete it with its data.")
    static final class Destroy extends Grid.Base {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--confirm", description = "the add-on's name again: its data is deleted for good") String confirm;

        public Integer call() {
            api().delete("/addons/" + name + (confirm == null ? "" : "?confirm=" + java.net.URLEncoder.encode(confirm, java.nio.charset.StandardCharsets.UTF_8)));
            out().println("Destroyed " + name);
            out().flush();
            return 0;
        }
    }

    @Command(name = "addons:expose", description = {"Open an add-on's port on every interface of every router, for clients outside Grid",
            "(as Dokku's postgres:expose). Apps do not need it: they reach add-ons where GRID_ADDON_HOST says."})
    static final class Expose extends Grid.Base {
        @Parameters(paramLabel = "NAME") String name;

        public Integer call() {
            JsonNode r = api().post("/addons/" + name + "/expose", Api.map());
            err().println("Warning: " + name + " is now reachable on port " + join(r.path("ports")) + " of every router's every interface;"
                    + " its password is all that guards it. 'grid addons:unexpose " + name + "' closes it.");
            if (r.path("shared_with").size() > 0) err().println("Warning: the port is shared with " + join(r.path("shared_with")) + ", which are exposed too.");
            out().println("Exposed " + name + " on port " + join(r.path("ports")));
            out().flush();
            err().flush();
            return 0;
        }
    }

    @Command(name = "addons:unexpose", description = "Close an add-on's port back to where apps reach add-ons (GRID_ADDON_HOST).")
    static final class Unexpose extends Grid.Base {
        @Parameters(paramLabel = "NAME") String name;

        public Integer call() {
            JsonNode r = api().delete("/addons/" + name + "/expose");
            out().println("Port " + join(r.path("ports")) + " of " + name + " is open only where apps reach add-ons again");
            out().flush();
            return 0;
        }
    }

    /** An object's fields as {@code name value, ...}; an empty value as "". */
    static String pairs(JsonNode object) {
        java.util.List<String> out = new ArrayList<>();
        object.fields().forEachRemaining(e -> out.add(e.getKey() + " " + (e.getValue().asText().isEmpty() ? "\"\"" : e.getValue().asText())));
        return String.join(", ", out);
    }

    static String join(JsonNode array) {
        java.util.List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return String.join(", ", out);
    }
}
