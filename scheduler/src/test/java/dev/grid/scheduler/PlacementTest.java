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
        return new HostInfo(id, "127.0.0.1", 20000, 20999, mb, tags, "");
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
    void anOvercommittedHostTakesItsMemoryTimesTheRatioAndSaysSoWhenFull() {
        HostInfo h = new HostInfo("a", "127.0.0.1", 20000, 20999, 1000, Map.of(), "", 1.5);
        assertEquals(1500, h.schedulableMb());
        Placement p = new Placement(List.of(h), List.of());
        ProcessType web = new ProcessType("c", Map.of(), 256, List.of());
        int placed = 0;
        while (p.choose("x", "web", web).isPresent() && placed < 100) p.add(job("a", "x", "web" + placed++, 256));
        assertEquals(5, placed, "5 x 256 MB fit in 1,000 MB x 1.5, a sixth does not");
        assertEquals("no host has 256 MB free (1,280 of 1,500 MB reserved; the most free is 220 MB, on a)", p.whyNot(web));
        assertEquals(1000, new HostInfo("b", "127.0.0.1", 1, 2, 1000, Map.of(), "", 0).schedulableMb(), "a host that says nothing is not overcommitted");
    }

    @Test
    void everyJobTakesAPortSoAFullPortRangeIsAReasonToo() {
        HostInfo small = new HostInfo("a", "127.0.0.1", 20000, 20002, 100_000, Map.of(), "");
        HostInfo wide = new HostInfo("b", "127.0.0.1", 21000, 21999, 300, Map.of(), "");
        Placement p = new Placement(List.of(small, wide), List.of());
        ProcessType web = new ProcessType("c", Map.of(), 256, List.of());
        for (int i = 0; i < 3; i++) {
            String chosen = p.choose("x", "web", web).orElseThrow().id();
            p.add(job(chosen, "x", "web" + i, 256));
        }
        // a has 3 ports, b memory for one: four jobs fit, a fifth does not.
        p.add(job(p.choose("x", "web", web).orElseThrow().id(), "x", "web3", 256));
        assertTrue(p.choose("x", "web", web).isEmpty());
        assertEquals("no host with 256 MB free has a free port (a has all 3 of its ports 20000-20002 taken: widen GRID_PORT_RANGE there, or add a host)",
                p.whyNot(web));
    }

    @Test
    void prefersTheHostWithFewestJobsOfThatTypeOverFewestJobs() {
        Placement p = new Placement(List.of(host("a", 10000, Map.of()), host("b", 10000, Map.of())), List.of(
                job("a", "other", "web", 1), job("a", "other", "worker", 2), job("b", "x", "web", 3)));
        assertEquals("a", p.choose("x", "web", ProcessType.of("c")).orElseThrow().id());
        assertEquals("b", p.choose("y", "web", ProcessType.of("c")).orElseThrow().id(), "no y jobs anywhere: fewest jobs wins");
    }

    @Test
    void spreadsOneAppsTypesOverHostsBeforeBalancingJobCounts() {
        // An appliance runs one type per node: n0, n1, n2 must not share a host while another is free.
        Placement p = new Placement(List.of(host("a", 10000, Map.of()), host("b", 10000, Map.of()), host("c", 10000, Map.of())),
                List.of(job("b", "busy", "web", 1), job("b", "busy", "worker", 2), job("c", "busy", "web", 3), job("c", "busy", "worker", 4)));
        var n0 = p.choose("db", "n0", ProcessType.of("c")).orElseThrow();
        p.add(job(n0.id(), "db", "n0", 1));
        var n1 = p.choose("db", "n1", ProcessType.of("c")).orElseThrow();
        p.add(job(n1.id(), "db", "n1", 1));
        var n2 = p.choose("db", "n2", ProcessType.of("c")).orElseThrow();
        assertEquals(3, java.util.Set.of(n0.id(), n1.id(), n2.id()).size(), n0.id() + n1.id() + n2.id());
    }

    @Test
    void anAppliancesNodesSpreadOverZonesBeforeHosts() {
        // Zone a has two hosts, zone b one: three nodes (one type each) go a, b, then a's other host.
        List<HostInfo> hosts = List.of(host("a1", 10000, Map.of("zone", "a")), host("a2", 10000, Map.of("zone", "a")), host("b1", 10000, Map.of("zone", "b")));
        Placement p = new Placement(hosts, List.of());
        ProcessType node = new ProcessType("c", Map.of(), 256, List.of());
        List<String> chosen = new java.util.ArrayList<>();
        for (String type : List.of("n0", "n1", "n2")) {
            HostInfo h = p.choose("grid-postgres-main", type, node).orElseThrow();
            chosen.add(h.id());
            p.add(job(h.id(), "grid-postgres-main", type, 256));
        }
        assertEquals(List.of("a1", "b1", "a2"), chosen, "no zone holds two nodes while another holds none");
    }
}
