package dev.grid.host;

import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import dev.grid.net.NftTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * What one host's nftables table allows the sockets of app UIDs (processes, one-offs, builds)
 * to connect to, as a pure function of the cluster's state, and that table as an nft script.
 * They may not reach Grid's own ports on any machine, any job port (other apps' jobs and every
 * data node) except their own app's, on this host or another; they may reach the router (HTTP
 * and TCP routes), and the outside world. Only a connection's first packet is judged (a TCP
 * SYN; every UDP datagram), so replies, and sockets of Grid and of data nodes, pass one compare.
 */
public record FirewallRules(String table, int uidMin, int uidMax, int portMin, int portMax,
                            TreeSet<Integer> gridPorts, TreeSet<String> gridRemote,
                            TreeSet<String> ownLocal, TreeSet<String> ownRemote, List<String> remoteJobs) {

    /** A job of an app with a UID: where it listens. */
    public record AppJob(int uid, String hostId, int port) {}

    /**
     * The rules of host {@code self}: {@code endpoints} are Grid's parts, {@code hosts} every
     * live host (this one included), {@code jobs} the app jobs with a known port.
     */
    public static FirewallRules of(HostInfo self, int uidMin, int uidMax, Collection<GridEndpoint> endpoints,
                                   Collection<HostInfo> hosts, Collection<AppJob> jobs) {
        TreeSet<Integer> gridPorts = new TreeSet<>();
        TreeSet<String> gridRemote = new TreeSet<>();
        for (GridEndpoint e : endpoints) {
            // On this machine (loopback, or its own address): the port on every local address.
            if (isLoopback(e.address()) || e.address().equals(self.address())) gridPorts.add(e.port());
            else if (isIpv4(e.address())) gridRemote.add(e.address() + " . " + e.port());
        }
        TreeSet<String> ownLocal = new TreeSet<>();
        TreeSet<String> ownRemote = new TreeSet<>();
        java.util.Map<String, HostInfo> byId = new java.util.HashMap<>();
        for (HostInfo h : hosts) byId.put(h.id(), h);
        for (AppJob j : jobs) {
            if (j.port() <= 0) continue;
            if (j.hostId().equals(self.id())) ownLocal.add(j.uid() + " . " + j.port());
            else if (byId.containsKey(j.hostId()) && isIpv4(byId.get(j.hostId()).address()))
                ownRemote.add(j.uid() + " . " + byId.get(j.hostId()).address() + " . " + j.port());
        }
        List<String> remoteJobs = new ArrayList<>();
        for (HostInfo h : hosts) {
            if (h.id().equals(self.id()) || isLoopback(h.address()) || h.address().equals(self.address()) || !isIpv4(h.address())) continue;
            remoteJobs.add(h.address() + " . " + h.portMin() + "-" + h.portMax());
        }
        remoteJobs.sort(null);
        return new FirewallRules(tableName(self.id()), uidMin, uidMax, self.portMin(), self.portMax(),
                gridPorts, gridRemote, ownLocal, ownRemote, remoteJobs);
    }

    /**
     * Prints the table a host with no jobs yet would load, for a look at the rules or a benchmark:
     * {@code FirewallRules HOST_ID ADDRESS UIDMIN-UIDMAX PORTMIN-PORTMAX [GRID_PORT...]}.
     */
    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: FirewallRules HOST_ID ADDRESS UIDMIN-UIDMAX PORTMIN-PORTMAX [GRID_PORT...]");
            System.exit(2);
        }
        String[] uids = args[2].split("-");
        String[] ports = args[3].split("-");
        HostInfo self = new HostInfo(args[0], args[1], Integer.parseInt(ports[0]), Integer.parseInt(ports[1]), 0, java.util.Map.of(), "");
        List<GridEndpoint> endpoints = new ArrayList<>();
        for (int i = 4; i < args.length; i++) endpoints.add(new GridEndpoint("port", "127.0.0.1", Integer.parseInt(args[i])));
        System.out.print(of(self, Integer.parseInt(uids[0]), Integer.parseInt(uids[1]), endpoints, List.of(self), List.of()).script());
    }

    /** One table per host: Grids (and test hosts) sharing a machine never replace each other's. */
    public static String tableName(String hostId) {
        return NftTable.tableName(hostId);
    }

    /** The script that would load this table on its own (a look at the rules, a benchmark). */
    public String script() {
        return NftTable.replacement(table, part());
    }

    /**
     * The firewall's part of the host's table: its sets and its {@code output} chain. A connection
     * that a NAT rule of this machine redirected (a TCP route on the kernel path: its first packet
     * passed the route's own rules) is let through once Grid's ports are ruled out: its
     * destination is a route's backend, which the router would reach for it on the proxy path.
     */
    public NftTable.Part part() {
        List<NftTable.Set> sets = List.of(
                NftTable.Set.of("grid_ports", "inet_service", gridPorts.stream().map(String::valueOf).toList()),
                NftTable.Set.of("grid_remote", "ipv4_addr . inet_service", gridRemote),
                NftTable.Set.of("own_local", "uid . inet_service", ownLocal),
                NftTable.Set.of("own_remote", "uid . ipv4_addr . inet_service", ownRemote),
                NftTable.Set.intervals("remote_jobs", "ipv4_addr . inet_service", remoteJobs));
        List<String> rules = List.of(
                "meta skuid != " + uidMin + "-" + uidMax + " accept",
                "meta l4proto != { tcp, udp, udplite, sctp, dccp } accept",
                "meta l4proto tcp tcp flags & (syn | ack) != syn accept",
                "fib daddr type local th dport @grid_ports counter reject",
                "ip daddr . th dport @grid_remote counter reject",
                "meta l4proto tcp ct status dnat accept",
                "fib daddr type local meta skuid . th dport @own_local accept",
                "fib daddr type local th dport " + portMin + "-" + portMax + " counter reject",
                "meta skuid . ip daddr . th dport @own_remote accept",
                "ip daddr . th dport @remote_jobs counter reject");
        return new NftTable.Part(sets, List.of(NftTable.Chain.base("output", "type filter hook output priority filter; policy accept;", rules)), List.of());
    }

    static boolean isLoopback(String address) {
        return address.startsWith("127.") || address.equals("localhost") || address.equals("::1");
    }

    static boolean isIpv4(String address) {
        return address.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
