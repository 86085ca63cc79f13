package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code grid routes}, {@code routes:add}, {@code routes:remove}. */
final class RoutesCommands {
    private RoutesCommands() {}

    @Command(name = "routes", description = "List HTTP and TCP routes.")
    static final class List extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/routes");
        }

        @Override
        void render(JsonNode routes) throws Exception {
            Table t = new Table("ID", "TYPE", "ROUTE", "SERVICE", "LEADER");
            for (JsonNode r : routes) {
                boolean http = r.path("type").asText().equals("HTTP");
                t.row(r.path("id").asText(), http ? "http" : "tcp",
                        http ? r.path("host").asText() + r.path("path").asText() : ":" + r.path("port").asInt(),
                        r.path("service").asText(), r.path("leader").asBoolean() ? "yes" : "");
            }
            t.print(out());
        }
    }

    @Command(name = "routes:add", description = {"Add a route.",
            "  grid routes:add http HOST [--path /prefix] (--service SVC | -a APP)",
            "  grid routes:add tcp (--service SVC | -a APP --process TYPE) [--port N] [--leader]"})
    static final class Add extends Grid.Base {
        @Parameters(index = "0", paramLabel = "http|tcp") String type;
        @Parameters(index = "1", arity = "0..1", paramLabel = "HOST") String host;
        @Option(names = "--path", description = "path prefix (HTTP)") String path;
        @Option(names = "--service", description = "the service to route to, e.g. myapp.web") String service;
        @Option(names = {"-a", "--app"}, description = "route to this app's process (default web)") String app;
        @Option(names = "--process", description = "with -a: the process type (default web)") String process = "web";
        @Option(names = "--port", description = "TCP: this port instead of one from the range") Integer port;
        @Option(names = "--leader", description = "TCP: only to the service's leader") boolean leader;

        public Integer call() {
            String svc = service != null ? service : app != null ? app + "." + process : null;
            if (svc == null) throw new CliException("say where the route goes: --service SERVICE, or -a APP [--process TYPE]");
            JsonNode r = api().post("/routes", Api.map("type", type, "host", host, "path", path, "service", svc,
                    "port", port, "leader", leader ? Boolean.TRUE : null));
            if (r.path("type").asText().equals("TCP")) {
                out().println("Added TCP route " + r.path("id").asText() + ": port " + r.path("port").asInt() + " -> " + svc + (leader ? " (leader only)" : ""));
            } else {
                out().println("Added HTTP route " + r.path("id").asText() + ": " + r.path("host").asText() + r.path("path").asText() + " -> " + svc);
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "routes:timeout", description = {"Give an app's HTTP routes this long to begin an answer before the router's 503 H12",
            "(seconds, 1-600; 0 goes back to the router's 30 s). Routes added to the app later take it too."})
    static final class Timeout extends Grid.AppCommand {
        @Parameters(paramLabel = "SECONDS") int seconds;

        public Integer call() {
            JsonNode routes = api().patch("/routes/timeout", Api.map("app", app, "seconds", seconds));
            java.util.List<String> ids = new java.util.ArrayList<>();
            routes.forEach(r -> ids.add(r.path("host").asText() + r.path("path").asText()));
            out().println((seconds == 0 ? "The router's 30 s" : seconds + " s") + " to answer for " + app + ": " + String.join(", ", ids));
            out().flush();
            return 0;
        }
    }

    @Command(name = "routes:remove", description = "Remove a route by id (see 'grid routes').")
    static final class Remove extends Grid.Base {
        @Parameters(paramLabel = "ID") String id;

        public Integer call() {
            api().delete("/routes/" + id);
            out().println("Removed route " + id);
            out().flush();
            return 0;
        }
    }

    @Command(name = "certs", description = "List the TLS certificates the router serves.")
    static final class Certs extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/certs");
        }

        @Override
        void render(JsonNode certs) throws Exception {
            Table t = new Table("DOMAIN", "SUBJECT", "EXPIRES");
            for (JsonNode c : certs) t.row(c.path("domain").asText(), c.path("subject").asText(), c.path("notAfter").asText());
            t.print(out());
        }
    }

    @Command(name = "certs:add", description = "Serve a certificate for a domain (SNI); '*' replaces the default certificate.")
    static final class CertsAdd extends Grid.Base {
        @Parameters(paramLabel = "DOMAIN") String domain;
        @Option(names = "--cert", required = true, description = "PEM certificate chain file") java.nio.file.Path cert;
        @Option(names = "--key", required = true, description = "PEM private key file (PKCS#8)") java.nio.file.Path key;

        public Integer call() throws Exception {
            for (var f : new java.nio.file.Path[] {cert, key}) {
                if (!java.nio.file.Files.isReadable(f)) throw new CliException("cannot read " + f);
            }
            JsonNode r = api().post("/certs", Api.map("domain", domain, "cert", java.nio.file.Files.readString(cert), "key", java.nio.file.Files.readString(key)));
            out().println("Added certificate for " + r.path("domain").asText() + " (" + r.path("subject").asText() + ", expires " + r.path("notAfter").asText() + ")");
            out().flush();
            return 0;
        }
    }

    @Command(name = "certs:remove", description = "Stop serving a domain's certificate.")
    static final class CertsRemove extends Grid.Base {
        @Parameters(paramLabel = "DOMAIN") String domain;

        public Integer call() {
            api().delete("/certs/" + domain);
            out().println("Removed certificate for " + domain);
            out().flush();
            return 0;
        }
    }
}
