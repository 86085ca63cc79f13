package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FirewallRulesTest {
    private static final HostInfo A = new HostInfo("h-a", "10.0.0.2", 20000, 20999, 1024, Map.of(), "http://10.0.0.2:7072");
    private static final HostInfo B = new HostInfo("h-b", "10.0.0.3", 21000, 21999, 1024, Map.of(), "http://10.0.0.3:7072");
    private static final List<GridEndpoint> ENDPOINTS = List.of(
            new GridEndpoint("etcd", "127.0.0.1", 7379), new GridEndpoint("etcd peers", "127.0.0.1", 7380),
            new GridEndpoint("API", "10.0.0.2", 7070), new GridEndpoint("logs of host h-b", "10.0.0.3", 7072),
            new GridEndpoint("etcd", "10.0.0.9", 2379));

    private static FirewallRules rules(HostInfo self, List<FirewallRules.AppJob> jobs) {
        return FirewallRules.of(self, 200000, 299999, ENDPOINTS, List.of(A, B), jobs);
    }

    @Test
    void gridPortsOnThisMachineAreClosedOnEveryLocalAddressAndOthersByAddress() {
        FirewallRules r = rules(A, List.of());
        assertEquals(Set.of(7379, 7380, 7070), r.gridPorts(), "loopback parts, and this host's own address");
        assertEquals(Set.of("10.0.0.3 . 7072", "10.0.0.9 . 2379"), r.gridRemote(), "another host's log server, a remote etcd");
        assertEquals(Set.of(7379, 7380, 7072), rules(B, List.of()).gridPorts(), "the same endpoints, seen from the other host");
    }

    @Test
    void anAppReachesItsOwnJobsAndNoOtherJobPortOnAnyHost() {
        List<FirewallRules.AppJob> jobs = List.of(new FirewallRules.AppJob(200001, "h-a", 20005),
                new FirewallRules.AppJob(200001, "h-b", 21007), new FirewallRules.AppJob(200002, "h-a", 20006));
        FirewallRules r = rules(A, jobs);
        assertEquals(Set.of("200001 . 20005", "200002 . 20006"), r.ownLocal(), "each UID with its own app's local jobs only");
        assertEquals(Set.of("200001 . 10.0.0.3 . 21007"), r.ownRemote());
        assertEquals(List.of("10.0.0.3 . 21000-21999"), r.remoteJobs(), "another host's whole job range is closed");
        String script = r.script();
        // The order is the policy: own jobs are allowed before the job range is refused, on both paths.
        assertTrue(script.indexOf("@own_local accept") < script.indexOf("th dport 20000-20999 counter reject"), script);
        assertTrue(script.indexOf("@own_remote accept") < script.indexOf("@remote_jobs counter reject"), script);
        assertTrue(script.indexOf("meta skuid != 200000-299999 accept") < script.indexOf("reject"), "only app UIDs are judged");
        // A kernel route's connection is judged after DNAT: Grid's ports are refused before it is let through.
        assertTrue(script.indexOf("@grid_ports counter reject") < script.indexOf("ct status dnat accept"), script);
        assertTrue(script.indexOf("@grid_remote counter reject") < script.indexOf("ct status dnat accept"), script);
    }

    @Test
    void aJobWithoutAPortOrOnAnUnknownHostAllowsNothing() {
        FirewallRules r = rules(A, List.of(new FirewallRules.AppJob(200001, "h-a", 0), new FirewallRules.AppJob(200001, "h-gone", 22000)));
        assertTrue(r.ownLocal().isEmpty());
        assertTrue(r.ownRemote().isEmpty());
    }

    @Test
    void hostsOnOneMachineLeaveEachOthersRangesToTheirOwnTables() {
        HostInfo a = new HostInfo("t-a", "127.0.0.2", 21000, 21099, 1024, Map.of(), "");
        HostInfo b = new HostInfo("t-b", "127.0.0.3", 21100, 21199, 1024, Map.of(), "");
        FirewallRules r = FirewallRules.of(a, 300000, 300999, List.of(), List.of(a, b), List.of());
        assertTrue(r.remoteJobs().isEmpty(), "a loopback host's table is on this machine too, and judges its own range");
        assertFalse(r.script().contains("elements = {  }"), "an empty set has no elements line");
        assertEquals("grid_t_a", r.table());
    }
}
