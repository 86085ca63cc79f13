package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code grid metrics:token}: the token Prometheus scrapes Grid's {@code /metrics} with. */
final class MetricsCommands {
    private MetricsCommands() {}

    @Command(name = "metrics:token", description = "Make a new scrape token for Prometheus: it opens every Grid process's /metrics and nothing else. "
            + "The one before it stops working at once.")
    static final class Token extends Grid.Base {
        public Integer call() {
            JsonNode t = api().post("/metrics/token", java.util.Map.of());
            out().println(t.path("token").asText());
            err().println("Give it to Prometheus as a bearer token (scrape_configs: authorization: credentials_file: ...); "
                    + "scrape the API's /metrics, and GRID_METRICS_PORT's on machines without the API.");
            out().flush();
            err().flush();
            return 0;
        }
    }
}
