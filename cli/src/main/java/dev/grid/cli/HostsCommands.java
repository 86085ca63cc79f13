package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code grid hosts}, {@code hosts:remove}. */
final class HostsCommands {
    private HostsCommands() {}

    @Command(name = "hosts", description = "List the hosts: up, down (no lease) or removed, with their jobs and memory.")
    static final class List extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/hosts");
        }

        @Override
        void render(JsonNode hosts) throws Exception {
            Table t = new Table("HOST", "ADDRESS", "STATE", "JOBS", "MEMORY (RESERVED/TOTAL MB)");
            for (JsonNode h : hosts) {
                long total = h.path("memoryMb").asLong();
                t.row(h.path("id").asText(), h.path("address").asText(), h.path("state").asText(), String.valueOf(h.path("jobs").asInt()),
                        h.path("reservedMb").asLong() + (total > 0 ? "/" + total : ""));
            }
            t.print(out());
        }
    }

    @Command(name = "hosts:remove", description = {"Declare a lost host gone for good: its jobs, data nodes included, are made again",
            "on the remaining hosts (data nodes empty, rebuilt from a surviving member). Refused while the host is up.",
            "  grid hosts:remove HOST --confirm HOST [--accept-data-loss]"})
    static final class Remove extends Grid.Base {
        @Parameters(paramLabel = "HOST") String host;
        @Option(names = "--confirm", paramLabel = "HOST", description = "the host's id once more: this cannot be undone") String confirm;
        @Option(names = "--accept-data-loss", description = "where a primary was lost with every copy known to hold its writes, promote the best survivor anyway")
        boolean acceptDataLoss;

        public Integer call() {
            JsonNode r = api().post("/hosts/" + host + "/remove", Api.map("confirm", confirm, "acceptDataLoss", acceptDataLoss));
            out().println("Removed host " + r.path("host").asText() + ": " + r.path("jobsMoved").asInt() + " job(s) are placed on the other hosts");
            for (JsonNode c : r.path("clusters")) out().println("  " + c.asText());
            out().flush();
            return 0;
        }
    }
}
