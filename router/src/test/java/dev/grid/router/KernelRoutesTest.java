package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import dev.grid.net.NftTable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules of the kernel path, for hosts this machine cannot be: other machines, real addresses, several backends. */
class KernelRoutesTest {
    /** A host of a real cluster whose router and add-ons listen on the host's own address. */
    private static final KernelRoutes.Settings REAL = new KernelRoutes.Settings("10.0.0.2", "10.0.0.2", "10.0.0.2", 10_000, Duration.ofHours(1), List.of("10.0.0.2"));
    /** The single-machine default: add-ons on loopback. */
    private static final KernelRoutes.Settings ONE = new KernelRoutes.Settings("127.0.0.1", "0.0.0.0", "127.0.0.1", 500, Duration.ofSeconds(90), List.of("192.0.2.7"));

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    private static KernelRoutes.Wanted wanted(Route r, InetSocketAddress... backends) {
        return new KernelRoutes.Wanted(r, List.of(backends));
    }

    private static KernelRoutes.Plan plan(KernelRoutes.Settings s, KernelRoutes.Wanted... routes) {
        return KernelRoutes.plan(s, List.of(routes), port -> null, Set.of());
    }

    private static List<String> rules(KernelRoutes.Plan p, String chain) {
        return p.part().chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow(() -> new AssertionError("no chain " + chain)).rules();
    }

    private static List<String> elements(KernelRoutes.Plan p, String set) {
        return p.part().sets().stream().filter(x -> x.name().equals(set)).findFirst().orElseThrow().elements();
    }

    @Test
    void aPublicRouteIsCaughtFromThisMachineAndFromOthersAndReachesABackendOnAnotherHostMasqueraded() {
        KernelRoutes.Plan p = plan(REAL, wanted(Route.tcp("r1", 30001, "web", false), at("10.0.0.3", 20005)));
        assertEquals(Set.of(30001), p.kernel().keySet());
        assertEquals(List.of("ip daddr 10.0.0.2 tcp dport vmap { 30001 : jump route_to_30001 }"), rules(p, "route_nat_out"));
        assertEquals(List.of("ip daddr 10.0.0.2 tcp dport vmap { 30001 : jump route_in_30001 }"), rules(p, "route_nat_pre"));
        assertEquals(List.of("meta l4proto tcp dnat ip to 10.0.0.3:20005"), rules(p, "route_in_30001"));
        assertTrue(rules(p, "route_nat_post").get(0).endsWith("fib daddr type != local masquerade"), "answers of another host come back through this one");
    }

    @Test
    void severalBackendsAreChosenAtRandomAndALeaderRouteHasItsLeaderAlone() {
        KernelRoutes.Plan p = plan(REAL, wanted(Route.tcp("r1", 30001, "web", false), at("10.0.0.2", 20005), at("10.0.0.3", 21007)),
                wanted(Route.tcp("r2", 30002, "db", true), at("10.0.0.3", 21009)));
        assertEquals(List.of("numgen random mod 2 vmap { 0 : goto route_to_30001_0, 1 : goto route_to_30001_1 }"), rules(p, "route_to_30001"));
        assertEquals(List.of("meta l4proto tcp dnat ip to 10.0.0.3:21007"), rules(p, "route_to_30001_1"));
        assertEquals(List.of("meta l4proto tcp dnat ip to 10.0.0.3:21009"), rules(p, "route_to_30002"));
        assertEquals(List.of("ip daddr 10.0.0.2 tcp dport vmap { 30001 : jump route_to_30001, 30002 : jump route_to_30002 }"), rules(p, "route_nat_out"),
                "one lookup for every route");
    }

    @Test
    void anAddonRouteIsCaughtOnlyOnTheAddonAddressAndNeverFromOutside() {
        KernelRoutes.Plan p = plan(REAL, wanted(Route.tcp("pg", 30100, "pg", true, Route.ADDON), at("10.0.0.3", 21000)));
        assertEquals(List.of("ip daddr 10.0.0.2 tcp dport vmap { 30100 : jump route_to_30100 }"), rules(p, "route_nat_out"));
        assertTrue(rules(p, "route_nat_pre").isEmpty(), "no rule for packets from other machines");
        assertTrue(rules(p, "route_guard_pre").stream().noneMatch(r -> r.contains("30100")), rules(p, "route_guard_pre").toString());
    }

    @Test
    void onEveryAddressIncludingLoopbackEachAddressIsCaughtAndFromOutsideOnlyTheOthers() {
        KernelRoutes.Settings any = new KernelRoutes.Settings("10.0.0.2", "0.0.0.0", "10.0.0.2", 10_000, Duration.ofHours(1), List.of("10.0.0.2"));
        KernelRoutes.Plan p = plan(any, wanted(Route.tcp("r1", 30001, "web", false), at("10.0.0.2", 20005)),
                wanted(Route.tcp("r2", 30002, "web2", false), at("10.0.0.3", 20005)));
        assertEquals(List.of("fib daddr type local tcp dport vmap { 30001 : jump route_to_30001 }"), rules(p, "route_nat_out"));
        assertEquals(List.of("fib daddr type local ip daddr != 127.0.0.0/8 tcp dport vmap { 30001 : jump route_in_30001 }"), rules(p, "route_nat_pre"));
        assertTrue(p.proxied().get(30002).contains("another host"), "a client on loopback could not be sent to 10.0.0.3: " + p.proxied());
    }

    @Test
    void aLoopbackRouteWithABackendOnAnotherMachineStaysWithTheRelay() {
        // On the default single machine an add-on listens on 127.0.0.1: the kernel cannot send that to 10.0.0.3 without route_localnet.
        KernelRoutes.Settings s = new KernelRoutes.Settings("10.0.0.2", "0.0.0.0", "127.0.0.1", 500, Duration.ofHours(1), List.of("10.0.0.2"));
        KernelRoutes.Plan p = plan(s, wanted(Route.tcp("pg", 30100, "pg", true, Route.ADDON), at("10.0.0.3", 21000)),
                wanted(Route.tcp("local", 30101, "pg2", true, Route.ADDON), at("10.0.0.2", 20000)));
        assertEquals(Set.of(30101), p.kernel().keySet(), "a backend on this host's own address is fine");
        assertTrue(p.proxied().get(30100).contains("route_localnet"), p.proxied().toString());
        assertTrue(rules(p, "route_nat_out").stream().noneMatch(r -> r.contains("30100")));
    }

    @Test
    void fromOutsideALoopbackBackendIsReachedByRedirect() {
        KernelRoutes.Plan p = plan(ONE, wanted(Route.tcp("web", 30001, "web", false), at("127.0.0.1", 20005)));
        assertEquals(List.of("meta l4proto tcp dnat ip to 127.0.0.1:20005"), rules(p, "route_to_30001"));
        assertEquals(List.of("meta l4proto tcp redirect to :20005"), rules(p, "route_in_30001"), "never a loopback DNAT of an outside packet");
    }

    @Test
    void limitsAreInTheGuardAndARouteWithNothingBehindItRefuses() {
        KernelRoutes.Plan p = plan(ONE, wanted(Route.tcp("web", 30001, "web", false), at("127.0.0.1", 20005)), wanted(Route.tcp("empty", 30002, "none", true)));
        List<String> g = rules(p, "route_guard_30001");
        assertEquals("tcp flags & (syn | ack) != syn counter reject with tcp reset", g.get(0), "an expired or ended flow's next packet is reset");
        assertTrue(g.get(1).startsWith("add @route_conns { tcp dport ct count over 500 } counter name \"route_refused_30001\""), g.get(1));
        assertEquals("ct timeout set \"route_idle_90\"", g.get(2));
        assertEquals("counter name \"route_accepted_30001\"", g.get(3), "what the router's metrics count the kernel's connections by");
        assertTrue(p.part().objects().contains(new NftTable.Obj("ct timeout", "route_idle_90", "protocol tcp; l3proto ip; policy = { established: 90 };")));
        assertEquals("counter reject with tcp reset", rules(p, "route_guard_30002").get(1), "refused at once, not black-holed");
        assertTrue(rules(p, "route_nat_out").stream().noneMatch(r -> r.contains("30002")));
        assertTrue(p.part().sets().stream().anyMatch(s -> s.name().equals("route_conns") && s.dynamic()));
    }

    @Test
    void onlyAConnectionsFirstPacketIsJudgedAndARetiredPortStaysWatched() {
        KernelRoutes.Plan p = KernelRoutes.plan(ONE, List.of(wanted(Route.tcp("db", 30001, "db", true), at("127.0.0.1", 20006)),
                wanted(Route.tcp("pg", 30002, "pg", true, Route.ADDON), at("127.0.0.1", 20007))), port -> null, Set.of(30009));
        assertEquals(List.of("ct state != new accept", "fib daddr type local tcp dport vmap { 30001 : jump route_guard_30001 }",
                "ip daddr 127.0.0.1 tcp dport vmap { 30002 : jump route_guard_30002 }"), rules(p, "route_guard_out"));
        assertEquals("ct state != new accept", rules(p, "route_guard_pre").get(0), "the same for packets from other machines");
        assertEquals(List.of("30001", "30002", "30009"), elements(p, "route_ports"), "a removed route's port is known until its flows are idle");
    }

    @Test
    void aPortOfGridOrOfTheMachineIsNeverCaptured() {
        Map<Integer, String> owners = Map.of(7070, "the API", 2222, "git over SSH");
        KernelRoutes.Plan p = KernelRoutes.plan(ONE, List.of(wanted(Route.tcp("bad", 7070, "web", false), at("127.0.0.1", 20005)),
                wanted(Route.tcp("ok", 30001, "web", false), at("127.0.0.1", 20005))), owners::get, Set.of());
        assertEquals(Set.of(30001), p.kernel().keySet());
        assertEquals("port 7070 is the API's, and no rule of Grid may capture it", p.proxied().get(7070));
        p.part().chains().forEach(c -> c.rules().forEach(r -> assertFalse(r.contains("7070"), r)));
    }
}
