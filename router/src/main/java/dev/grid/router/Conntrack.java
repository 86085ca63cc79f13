package dev.grid.router;

import dev.grid.net.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The kernel's tracked TCP connections ({@code /proc/net/nf_conntrack}), read to find the flows
 * of a kernel route whose backend may no longer take them, and the sockets that end them
 * ({@code ss -K}, the kernel's SOCK_DESTROY): a client blocked in a read learns at once, which
 * a reset on its next packet alone would not tell it. Their entries are then deleted with the
 * {@code conntrack} tool, for the clients whose sockets are on other machines.
 */
final class Conntrack {
    /**
     * One flow: the client's connection to the route, and the backend's answering end. {@code over}:
     * the connection has closed (TIME_WAIT, CLOSE), but its entry lives on, and a new connection
     * from the same client port would take it up again with its old backend.
     */
    record Flow(String client, int clientPort, String route, int routePort, String backend, int backendPort, boolean over) {
        Flow(String client, int clientPort, String route, int routePort, String backend, int backendPort) {
            this(client, clientPort, route, routePort, backend, backendPort, false);
        }

        String key() {
            return routePort + " . " + backend + " . " + backendPort;
        }
    }

    private static final Path TABLE = Path.of("/proc/net/nf_conntrack");
    private static final Set<String> OVER = Set.of("TIME_WAIT", "CLOSE");

    private Conntrack() {}

    /** The TCP flows in the table's text (tuples in order: the original direction, then the reply), over ones too. */
    static List<Flow> flows(String text) {
        List<Flow> flows = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !"tcp".equals(f[2])) continue;
            List<String> src = new ArrayList<>();
            List<String> dst = new ArrayList<>();
            List<Integer> sport = new ArrayList<>();
            List<Integer> dport = new ArrayList<>();
            for (String t : f) {
                int eq = t.indexOf('=');
                if (eq < 0) continue;
                String k = t.substring(0, eq);
                String v = t.substring(eq + 1);
                try {
                    switch (k) {
                        case "src" -> src.add(v);
                        case "dst" -> dst.add(v);
                        case "sport" -> sport.add(Integer.parseInt(v));
                        case "dport" -> dport.add(Integer.parseInt(v));
                        default -> { }
                    }
                } catch (NumberFormatException bad) {
                    // not a port: not a line of ours
                }
            }
            if (src.size() < 2 || dst.size() < 2 || sport.size() < 2 || dport.size() < 2) continue;
            flows.add(new Flow(src.get(0), sport.get(0), dst.get(0), dport.get(0), src.get(1), sport.get(1), OVER.contains(f[5])));
        }
        return flows;
    }

    /** The flows to one of {@code ports} whose backend is not among {@code live} ({@link Flow#key} of each). */
    static List<Flow> stale(Collection<Flow> flows, Set<Integer> ports, Set<String> live) {
        List<Flow> out = new ArrayList<>();
        for (Flow f : flows) {
            // A flow not NATed (the backend is the address the client asked for) is not a route's.
            if (!ports.contains(f.routePort()) || (f.backend().equals(f.route()) && f.backendPort() == f.routePort())) continue;
            if (!live.contains(f.key())) out.add(f);
        }
        return out;
    }

    /** The table as the kernel has it now; empty where it cannot be read. */
    static String read() {
        try {
            return Files.readString(TABLE);
        } catch (IOException e) {
            return "";
        }
    }

    /** Why flows cannot be found and ended here, or null if they can (conntrack's procfs table, and its tool). */
    static String unusable() {
        if (!Files.isReadable(TABLE)) return "conntrack's table (/proc/net/nf_conntrack) cannot be read here";
        return Commands.unusable("conntrack", "--version") == null ? null : "the conntrack tool is missing (apt-get install conntrack)";
    }

    /**
     * The {@code ss} filter that picks the sockets of {@code flows} on this machine: the
     * client's end (connected to the route's address) and the backend's (connected to the client).
     */
    static String filter(Collection<Flow> flows) {
        List<String> terms = new ArrayList<>();
        for (Flow f : flows) {
            terms.add("( src " + f.client() + " and sport = :" + f.clientPort() + " and dst " + f.route() + " and dport = :" + f.routePort() + " )");
            terms.add("( src " + f.backend() + " and sport = :" + f.backendPort() + " and dst " + f.client() + " and dport = :" + f.clientPort() + " )");
        }
        return String.join(" or ", terms);
    }
}
