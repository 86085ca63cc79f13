package dev.grid.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NftTableTest {
    private static NftTable.Part firewall(String port) {
        return new NftTable.Part(List.of(NftTable.Set.of("grid_ports", "inet_service", List.of(port))),
                List.of(NftTable.Chain.base("output", "type filter hook output priority filter; policy accept;", List.of("th dport @grid_ports reject"))), List.of());
    }

    private static NftTable.Part routes(int... ports) {
        List<NftTable.Chain> chains = new ArrayList<>();
        List<String> jumps = new ArrayList<>();
        List<NftTable.Obj> counters = new ArrayList<>();
        for (int p : ports) {
            jumps.add("tcp dport " + p + " jump route_to_" + p);
            chains.add(NftTable.Chain.regular("route_to_" + p, List.of("meta l4proto tcp dnat ip to 127.0.0.1:" + (p + 1))));
            counters.add(NftTable.Obj.counter("route_refused_" + p));
        }
        chains.add(0, NftTable.Chain.base("route_nat_out", "type nat hook output priority -100; policy accept;", jumps));
        return new NftTable.Part(List.of(NftTable.Set.dynamic("route_conns", "inet_service", 65535)), chains, counters);
    }

    @Test
    void theFirstWriteReplacesWhateverTableOfThatNameIsThere() {
        List<String> scripts = new ArrayList<>();
        NftTable t = new NftTable("grid_h1", scripts::add);
        t.put("firewall", firewall("7070"));
        String s = scripts.get(0);
        assertTrue(s.startsWith("table inet grid_h1 {}\ndelete table inet grid_h1\ntable inet grid_h1 {\n"), s);
        assertTrue(s.contains("set grid_ports { type inet_service; elements = { 7070 }; }"), s);
        // Chains are declared before any rule, so that a rule may jump to a chain written after its own.
        assertTrue(s.indexOf("chain output {") < s.indexOf("add rule inet grid_h1 output th dport @grid_ports reject"), s);
    }

    @Test
    void laterWritesChangeTheTableInPlaceAndLeaveDynamicSetsToTheKernel() {
        List<String> scripts = new ArrayList<>();
        NftTable t = new NftTable("grid_h1", scripts::add);
        t.put("firewall", firewall("7070"));
        t.put("routes", routes(30001, 30002));
        t.put("routes", routes(30002, 30003));
        String s = scripts.get(scripts.size() - 1);
        assertFalse(s.contains("delete table"), "in place: " + s);
        assertTrue(s.contains("flush chain inet grid_h1 route_nat_out"), s);
        assertTrue(s.contains("delete chain inet grid_h1 route_to_30001"), "a route's chain goes with it: " + s);
        assertTrue(s.contains("add chain inet grid_h1 route_to_30003"), s);
        assertTrue(s.contains("delete counter inet grid_h1 route_refused_30001"), s);
        assertTrue(s.contains("add counter inet grid_h1 route_refused_30003 { }"), s);
        assertFalse(s.contains("route_conns"), "the cap's meters are left as they are: " + s);
        assertFalse(s.contains("flush set inet grid_h1 grid_ports"), "an unchanged set is not refilled: " + s);
        assertTrue(s.indexOf("flush chain inet grid_h1 route_to_30001") < s.indexOf("delete chain inet grid_h1 route_to_30001"), "emptied before it goes");
        assertTrue(s.indexOf("add chain inet grid_h1 route_to_30003") < s.indexOf("add rule inet grid_h1 route_nat_out tcp dport 30003"), s);

        int before = scripts.size();
        t.put("routes", routes(30002, 30003));
        assertEquals(before, scripts.size(), "nothing changed, nothing written");
        t.put("firewall", firewall("7071"));
        s = scripts.get(scripts.size() - 1);
        assertTrue(s.contains("flush set inet grid_h1 grid_ports\nadd element inet grid_h1 grid_ports { 7071 }"), s);
    }

    @Test
    void aFailedChangeInPlaceIsTriedAsAReplacementAndAFailedReplacementChangesNothing() {
        List<String> scripts = new ArrayList<>();
        boolean[] refuse = {false, false};
        NftTable t = new NftTable("grid_h1", s -> {
            scripts.add(s);
            if (refuse[0] && !s.contains("delete table")) throw new IllegalStateException("nft: no such table (deleted by hand)");
            if (refuse[1]) throw new IllegalStateException("nft: syntax error");
        });
        t.put("firewall", firewall("7070"));
        refuse[0] = true;
        t.put("routes", routes(30001));
        assertTrue(scripts.get(scripts.size() - 1).contains("delete table inet grid_h1"), "replaced after the failure");
        assertTrue(scripts.get(scripts.size() - 1).contains("route_to_30001"), "with both parts");
        refuse[1] = true;
        assertThrows(IllegalStateException.class, () -> t.put("routes", routes(30005)));
        assertTrue(t.has("routes"));
        refuse[1] = false;
        refuse[0] = false;
        t.put("routes", routes(30001));
        assertTrue(scripts.get(scripts.size() - 1).contains("delete table"), "after a failed write the next one replaces the table");
    }

    @Test
    void theTableGoesWithItsLastPartAndPartsMayNotClash() {
        List<String> scripts = new ArrayList<>();
        NftTable t = new NftTable("grid_h1", scripts::add);
        t.put("firewall", firewall("7070"));
        t.put("routes", routes(30001));
        t.remove("routes");
        assertFalse(scripts.get(scripts.size() - 1).contains("delete table"), "the firewall stays");
        t.remove("firewall");
        assertEquals("table inet grid_h1 {}\ndelete table inet grid_h1\n", scripts.get(scripts.size() - 1));
        t.put("firewall", firewall("7070"));
        assertThrows(IllegalArgumentException.class, () -> t.put("other", new NftTable.Part(List.of(), List.of(NftTable.Chain.regular("output", List.of())), List.of())),
                "two parts with one chain name");
        assertFalse(t.has("other"), "a refused part is not kept");
    }

    @Test
    void aTableNameIsMadeOfWhatNftAccepts() {
        assertEquals("grid_t1a2b3_a", NftTable.tableName("t1a2b3-a"));
    }
}
