package dev.grid.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.ProcessType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static HostInfo host(String id, long mb, Map<String, String> tags) {
        return new HostInfo(id, "127.0.0.1", 1, 2, mb, tags, "");
    }

    private static JobSpec job(String host, String app, String type, long mb) {
        return new JobSpec(app + type + host + mb, host, app, "r", type, "i", "c", Map.of(), mb, List.of(), false, 0, null, null, null);
    }

    @Test
    void honoursTags() {
        Placement p = new Placement(List.of(host("a", 1000, Map.of()), host("b", 1000, Map.of("disk", "ssd"))), List.of());
        assertEquals("b", p.choose("x", "web", new ProcessType("c", Map.of("disk", "ssd"), 100, List.of())).orElseThrow().id());
        assertTrue(p.choose("x", "web", new ProcessType("c", Map.of("disk", "nvme"), 100, List.of())).isEmpty());
    }

    @Test
    void honoursFreeMemory() {
        Placement p = new Placement(List.of(host("a", 1000, Map.of()), host("b", 1000, Map.of())),
                List.of(job("a", "other", "web", 900)));
        assertEquals("b", p.choose("x", "web", new ProcessType("c", Map.of(), 200, List.of())).orElseThrow().id());
        p.add(job("b", "other", "web", 900));
        assertTrue(p.choose("x", "web", new ProcessType("c", Map.of(), 200, List.of())).isEmpty());
    }

    @Test
    void prefersTheHostWithFewestJobsOfThatTypeOverFewestJobs() {
        Placement p = new Placement(List.of(host("a", 10000, Map.of()), host("b", 10000, Map.of())), List.of(
                job("a", "other", "web", 1), job("a", "other", "worker", 2), job("b", "x", "web", 3)));
        assertEquals("a", p.choose("x", "web", ProcessType.of("c")).orElseThrow().id());
        assertEquals("b", p.choose("y", "web", ProcessType.of("c")).orElseThrow().id(), "no y jobs anywhere: fewest jobs wins");
    }
}
