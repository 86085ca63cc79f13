package dev.grid.router;

import dev.grid.core.Route;
import dev.grid.net.NftTable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * The kernel data path for TCP routes, as a pure function: the router's part of the host's
 * nftables table (see {@link NftTable}), and which routes stay with the Netty relay and why.
 * The bytes of a kernel route never reach user space, as with kube-proxy's nftables mode: the
 * first packet of a connection is given a backend by DNAT, and conntrack carries the rest.
 *
 * <ul>
 *   <li>Connections from this machine are caught in the {@code output} hook, connections from
 *       other machines in {@code prerouting} (public routes only). A backend on another host is
 *       reached with DNAT and, from {@code prerouting}, masquerade so that its answers come
 *       back this way. {@code route_localnet} is never set (kube-proxy's CVE-2020-8558), so a
 *       route that listens on a loopback address and has a backend on another machine's
 *       address cannot be served in the kernel: it stays with the relay.</li>
 *   <li>Several backends are chosen at random ({@code numgen}); a leader-only route has its
 *       leader alone; a route with no backend refuses at once (a reset, never a black hole).</li>
 *   <li>Only a connection's first packet meets these rules (conntrack carries the rest), and
 *       it finds its route in a verdict map: one lookup however many routes there are.</li>
 *   <li>Limits: at most {@code maxConnections} at once per route (a dynamic set of
 *       {@code ct count} meters that survives changes of the table), an idle connection's
 *       conntrack entry expires after {@code idleTimeout} and its next packet is reset.</li>
 *   <li>A flow whose backend may no longer take it (a deposed leader, a backend gone, a
 *       route removed: its port {@code retired}) loses its conntrack entry ({@link KernelTcpRoutes}
 *       deletes it), so its next packet is a new flow without a SYN, and is reset.</li>
 * </ul>
 */
final class KernelRoutes {
    static final String PART = "routes";
    private static final String LOOPBACK_NET = "127.0.0.0/8";
    static final int METER_SIZE = 65535;

    /** Where this host's router listens, and its limits. {@code localAddresses}: this machine's non-loopback IPv4 addresses. */
    record Settings(String hostAddress, String publicListen, String addonListen, int maxConnections, Duration idleTimeout,
                    Collection<String> localAddresses) {}

    /** A TCP route and the backends that may take its connections now: its leader, or every live instance. */
    record Wanted(Route route, List<InetSocketAddress> backends) {}

    /**
     * The table part; the routes in it by port; the routes left to the relay, with the reason; and
     * the flows that may go on ({@link Conntrack.Flow#key}: route port, backend address and port,
     * the backend's answers coming from this machine's address when it was reached by redirect).
     */
    record Plan(NftTable.Part part, Map<Integer, Wanted> kernel, Map<Integer, String> proxied, Set<String> live) {}

    private KernelRoutes() {}

    /**
     * The plan for {@code routes}. {@code reservedBy} names what owns a port that no rule may
     * capture (Grid's own ports, the job port range, another listener), null for a free port;
     * such a route is left to the relay, which cannot take the port either and says so.
     */
    static Plan plan(Settings s, Collection<Wanted> routes, IntFunction<String> reservedBy, Set<Integer> retired) {
        Map<Integer, Wanted> kernel = new TreeMap<>();
        Map<Integer, String> proxied = new TreeMap<>();
        for (Wanted w : routes) {
            int port = w.route().port();
            String reason = relayOnly(s, w, reservedBy.apply(port));
            if (reason == null) kernel.put(port, w);
            else proxied.put(port, reason);
        }
        TreeSet<String> ports = new TreeSet<>();
        TreeSet<String> live = new TreeSet<>();
        List<NftTable.Obj> objects = new ArrayList<>();
        objects.add(new NftTable.Obj("ct timeout", idleName(s.idleTimeout()),
                "protocol tcp; l3proto ip; policy = { established: " + Math.max(1, s.idleTimeout().toSeconds()) + " };"));
        // Per match (where the route listens): port -> verdict. One lookup per packet however many routes there are.
        Map<String, List<String>> guardOut = new TreeMap<>();
        Map<String, List<String>> guardPre = new TreeMap<>();
        Map<String, List<String>> natOut = new TreeMap<>();
        Map<String, List<String>> natPre = new TreeMap<>();
        List<NftTable.Chain> chains = new ArrayList<>();
        for (int p : retired) if (!kernel.containsKey(p)) ports.add(String.valueOf(p));
        for (var e : kernel.entrySet()) {
            int port = e.getKey();
            Wanted w = e.getValue();
            ports.add(String.valueOf(port));
            String local = listen(w.route().addonOnly() ? s.addonListen() : s.publicListen());
            String external = w.route().addonOnly() ? null : external(s.publicListen());
            String guard = "route_guard_" + port;
            guardOut.computeIfAbsent(local, k -> new ArrayList<>()).add(port + " : jump " + guard);
            if (external != null) guardPre.computeIfAbsent(external, k -> new ArrayList<>()).add(port + " : jump " + guard);
            List<String> g = new ArrayList<>();
            // A new flow that does not open with a SYN: an expired one (idle), or one whose conntrack entry
            // was deleted because its backend may no longer take it. Its sender learns by a reset.
            g.add("tcp flags & (syn | ack) != syn counter reject with tcp reset");
            if (w.backends().isEmpty()) {
                g.add("counter reject with tcp reset");
            } else {
                String counter = "route_refused_" + port;
                objects.add(NftTable.Obj.counter(counter));
                g.add("add @route_conns { tcp dport ct count over " + s.maxConnections() + " } counter name \"" + counter + "\" reject with tcp reset");
                g.add("ct timeout set \"" + idleName(s.idleTimeout()) + "\"");
                // Connections the kernel took: the route's connection count in the router's metrics.
                String accepted = "route_accepted_" + port;
                objects.add(NftTable.Obj.counter(accepted));
                g.add("counter name \"" + accepted + "\"");
                natOut.computeIfAbsent(local, k -> new ArrayList<>()).add(port + " : jump route_to_" + port);
                chains.addAll(balance("route_to_" + port, w.backends(), false));
                if (external != null) {
                    natPre.computeIfAbsent(external, k -> new ArrayList<>()).add(port + " : jump route_in_" + port);
                    chains.addAll(balance("route_in_" + port, w.backends(), true));
                }
                for (InetSocketAddress b : w.backends()) {
                    String ip = b.getAddress().getHostAddress();
                    live.add(port + " . " + ip + " . " + b.getPort());
                    if (external != null && isLoopback(ip)) for (String a : s.localAddresses()) live.add(port + " . " + a + " . " + b.getPort());
                }
            }
            chains.add(NftTable.Chain.regular(guard, g));
        }
        // Only a connection's first packet is judged: every later one leaves at the first rule.
        List<NftTable.Chain> all = new ArrayList<>();
        all.add(NftTable.Chain.base("route_guard_out", "type filter hook output priority mangle; policy accept;", guard(guardOut)));
        all.add(NftTable.Chain.base("route_guard_pre", "type filter hook prerouting priority mangle; policy accept;", guard(guardPre)));
        all.add(NftTable.Chain.base("route_nat_out", "type nat hook output priority -100; policy accept;", vmaps(natOut)));
        all.add(NftTable.Chain.base("route_nat_pre", "type nat hook prerouting priority dstnat; policy accept;", vmaps(natPre)));
        all.add(NftTable.Chain.base("route_nat_post", "type nat hook postrouting priority srcnat; policy accept;", List.of(
                "meta l4proto tcp ct status dnat ct original proto-dst @route_ports ip daddr != " + LOOPBACK_NET + " fib daddr type != local masquerade")));
        all.addAll(chains);
        List<NftTable.Set> sets = List.of(
                NftTable.Set.of("route_ports", "inet_service", ports),
                NftTable.Set.dynamic("route_conns", "inet_service", METER_SIZE));
        return new Plan(new NftTable.Part(sets, all, objects), kernel, proxied, Set.copyOf(live));
    }

    private static List<String> guard(Map<String, List<String>> byMatch) {
        List<String> rules = new ArrayList<>();
        if (byMatch.isEmpty()) return rules;
        rules.add("ct state != new accept");
        rules.addAll(vmaps(byMatch));
        return rules;
    }

    private static List<String> vmaps(Map<String, List<String>> byMatch) {
        List<String> rules = new ArrayList<>();
        for (var e : byMatch.entrySet()) rules.add(e.getKey() + " tcp dport vmap { " + String.join(", ", e.getValue()) + " }");
        return rules;
    }

    /** Why a route cannot be served in the kernel here, or null if it can. */
    private static String relayOnly(Settings s, Wanted w, String reserved) {
        int port = w.route().port();
        if (reserved != null) return "port " + port + " is " + reserved + "'s, and no rule of Grid may capture it";
        String listen = w.route().addonOnly() ? s.addonListen() : s.publicListen();
        if (!listensOnLoopback(listen)) return null;
        for (InetSocketAddress b : w.backends()) {
            String ip = b.getAddress().getHostAddress();
            if (!isLoopback(ip) && !ip.equals(s.hostAddress())) {
                return "its backend " + ip + ":" + b.getPort() + " is on another host, and a connection to a loopback address "
                        + "cannot be forwarded there in the kernel (that needs route_localnet, which Grid never sets)";
            }
        }
        return null;
    }

    /** Chains that send a connection to one of {@code backends}, chosen at random. */
    private static List<NftTable.Chain> balance(String name, List<InetSocketAddress> backends, boolean fromOutside) {
        List<NftTable.Chain> chains = new ArrayList<>();
        if (backends.size() == 1) {
            chains.add(NftTable.Chain.regular(name, List.of(to(backends.get(0), fromOutside))));
            return chains;
        }
        List<String> arms = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            arms.add(i + " : goto " + name + "_" + i);
            chains.add(NftTable.Chain.regular(name + "_" + i, List.of(to(backends.get(i), fromOutside))));
        }
        chains.add(0, NftTable.Chain.regular(name, List.of("numgen random mod " + backends.size() + " vmap { " + String.join(", ", arms) + " }")));
        return chains;
    }

    private static String to(InetSocketAddress b, boolean fromOutside) {
        String ip = b.getAddress().getHostAddress();
        // A packet from outside may not be sent to a loopback address: it goes to this machine's address on that port.
        if (fromOutside && isLoopback(ip)) return "meta l4proto tcp redirect to :" + b.getPort();
        return "meta l4proto tcp dnat ip to " + ip + ":" + b.getPort();
    }

    /** The match for connections made on this machine to the route's address. */
    private static String listen(String address) {
        return any(address) ? "fib daddr type local" : "ip daddr " + address;
    }

    /** The match for connections from other machines, or null when the route listens on loopback only. */
    private static String external(String address) {
        if (any(address)) return "fib daddr type local ip daddr != " + LOOPBACK_NET;
        return isLoopback(address) ? null : "ip daddr " + address;
    }

    private static boolean listensOnLoopback(String address) {
        return any(address) || isLoopback(address);
    }

    private static boolean any(String address) {
        return address.equals("0.0.0.0") || address.equals("::") || address.isEmpty();
    }

    static boolean isLoopback(String address) {
        return address.startsWith("127.") || address.equals("localhost");
    }

    static String idleName(Duration idle) {
        return "route_idle_" + Math.max(1, idle.toSeconds());
    }
}
