package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code grid drains}, {@code drains:add}, {@code drains:remove}: where an app's logs go besides {@code grid logs}. */
final class DrainsCommands {
    private DrainsCommands() {}

    @Command(name = "drains", description = "List the app's log drains.")
    static final class List extends Grid.AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app + "/drains");
        }

        @Override
        void render(JsonNode drains) {
            if (drains.isEmpty()) {
                out().println(app + " has no drains: add one with grid drains:add syslog+tls://HOST:PORT -a " + app);
                return;
            }
            Table t = new Table("URL", "TOKEN");
            for (JsonNode d : drains) t.row(d.path("url").asText(), d.path("id").asText());
            t.print(out());
        }
    }

    @Command(name = "drains:add", description = "Send the app's output and its router lines to URL: syslog://HOST:PORT, syslog+tls://HOST:PORT "
            + "(RFC 5424, octet counting) or https://HOST/PATH (batches POSTed as Heroku's Logplex does).")
    static final class Add extends Grid.AppCommand {
        @Parameters(paramLabel = "URL") String url;

        public Integer call() {
            JsonNode d = api().post("/apps/" + app + "/drains", Api.map("url", url));
            out().println("Successfully added drain " + d.path("url").asText() + " (token " + d.path("id").asText() + ")");
            out().flush();
            return 0;
        }
    }

    @Command(name = "drains:remove", description = "Stop sending the app's logs to a drain, named by its URL or its token.")
    static final class Remove extends Grid.AppCommand {
        @Parameters(paramLabel = "URL|TOKEN") String drain;

        public Integer call() {
            JsonNode d = api().delete("/apps/" + app + "/drains?drain=" + URLEncoder.encode(drain, StandardCharsets.UTF_8));
            out().println("Successfully removed drain " + d.path("url").asText());
            out().flush();
            return 0;
        }
    }
}
