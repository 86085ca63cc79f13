package dev.grid.router;

import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import dev.grid.core.Route;
import dev.grid.net.Commands;
import dev.grid.net.Listeners;
import dev.grid.net.Nft;
import dev.grid.net.NftTable;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP routes on the kernel path ({@link KernelRoutes}): every change of routes or backends
 * rewrites the router's part of the host's table, hands the routes the kernel cannot serve to
 * the relay ({@link TcpRoutes}), and ends the flows whose backend may no longer take them. A
 * route's counters are read every 10 s: its refused connections are logged with its name, and
 * both its refused and its accepted connections go into the router's metrics.
 */
final class KernelTcpRoutes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KernelTcpRoutes.class);
    private static final Pattern COUNTER = Pattern.compile("counter route_(refused|accepted)_(\\d+) \\{\\s*packets (\\d+) bytes \\d+");
    private static final int SS_BATCH = 32;
    /** How often the routes' counters are read: the lag of kernel routes' connection counts in the metrics. */
    static final long COUNTERS_EVERY_SECONDS = 10;

    private final Store store;
    private final RouterConfig config;
    private final NftTable table;
    private final TcpRoutes relay;
    /** Reads the refusal counters, and ends flows (one thread: they never overlap). */
    private final ScheduledExecutorService background;
    /** Ports served in the kernel by the last write. */
    private Map<Integer, KernelRoutes.Wanted> kernel = Map.of();
    private Map<Integer, String> proxied = Map.of();
    /** Ports that left the kernel, and when: their flows are refused for one idle timeout. */
    private final Map<Integer, Long> retired = new HashMap<>();
    private final Map<Integer, Long> refusedSeen = new HashMap<>();
    private final Map<Integer, Long> acceptedSeen = new HashMap<>();
    private volatile Map<Integer, Route> routesByPort = Map.of();
    private final RouterMetrics metrics;
    private boolean failed;

    KernelTcpRoutes(Store store, RouterConfig config, NftTable table, TcpRoutes relay, RouterMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.config = config;
        this.table = table;
        this.relay = relay;
        this.background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "router-kernel-background");
            t.setDaemon(true);
            return t;
        });
        background.scheduleWithFixedDelay(this::readCounters, COUNTERS_EVERY_SECONDS, COUNTERS_EVERY_SECONDS, TimeUnit.SECONDS);
    }

    /** Brings the table, the relay and the live flows in line with the view. */
    synchronized void apply(RoutingState.View view) {
        List<KernelRoutes.Wanted> wanted = new ArrayList<>();
        Map<Integer, Route> byPort = new HashMap<>();
        for (Route r : view.tcp().values()) {
            ServiceBackends s = view.service(r.service());
            List<InetSocketAddress> backends = new ArrayList<>();
            if (r.leader()) {
                if (s.leader() != null) backends.add(s.leader().address);
            } else {
                for (Backend b : s.all()) backends.add(b.address);
            }
            wanted.add(new KernelRoutes.Wanted(r, backends));
            byPort.put(r.port(), r);
        }
        long now = System.nanoTime();
        retired.values().removeIf(t -> now - t > config.tcpIdleTimeout().toNanos());
        KernelRoutes.Plan plan;
        try {
            java.util.function.IntFunction<String> reserved = reserved();
            plan = KernelRoutes.plan(settings(), wanted, reserved, retired.keySet());
            long start = System.nanoTime();
            table.put(KernelRoutes.PART, plan.part());
            if (failed) log.info("router: the kernel routes are written again");
            failed = false;
            log.debug("router: kernel routes written in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
            // The table could not be written: the relay serves every route until it can, and no
            // rule of an earlier write may keep capturing their ports meanwhile.
            if (!failed) log.warn("router: cannot write the kernel routes, the relay serves every TCP route: {}", e.getMessage());
            failed = true;
            table.remove(KernelRoutes.PART);
            kernel = Map.of();
            proxied = Map.of();
            relay.apply(view);
            return;
        }
        for (int p : kernel.keySet()) if (!plan.kernel().containsKey(p)) retired.put(p, now);
        for (int p : plan.kernel().keySet()) retired.remove(p);
        for (var e : plan.proxied().entrySet()) {
            if (!e.getValue().equals(proxied.get(e.getKey()))) log.info("router: TCP route {} on port {} is relayed: {}", byPort.get(e.getKey()).id(), e.getKey(), e.getValue());
        }
        for (var e : plan.kernel().entrySet()) {
            if (!kernel.containsKey(e.getKey())) log.info("router: TCP route {} on port {} in the kernel -> {}{}", e.getValue().route().id(), e.getKey(),
                    e.getValue().route().service(), e.getValue().route().leader() ? " (leader)" : "");
        }
        Map<Integer, Route> relayed = new HashMap<>();
        for (int p : plan.proxied().keySet()) relayed.put(p, view.tcp().get(p));
        relay.apply(new RoutingState.View(view.http(), Map.copyOf(relayed), view.services(), view.certs(), view.maintenance()));
        Set<Integer> watched = new HashSet<>(kernel.keySet());
        watched.addAll(retired.keySet());
        kernel = plan.kernel();
        proxied = plan.proxied();
        routesByPort = Map.copyOf(byPort);
        // Ending flows takes processes (ss, conntrack): off this thread, so that the next change's
        // rules are not held up by it; once at once, and once a second later, for a connection
        // whose handshake was under way a moment ago and is in conntrack's table only now.
        if (!watched.isEmpty()) {
            KernelRoutes.Plan written = plan;
            background.execute(() -> recut(watched, written));
            background.schedule(() -> recut(watched, written), 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Ends the flows that {@code written} no longer routes, unless a newer write came meanwhile (it
     * ends flows for itself). The cut holds the lock writes take, so no write comes between
     * reading the flows and ending them: a cut of an older plan that ran past a newer write (the
     * next leader switch, 60 ms later) ended the new leader's fresh connections, and deleted the
     * conntrack entries of those made after its read, whose answers then went nowhere: a client
     * waited with neither an answer nor a reset (KernelTcpRouteTest saw one in CI). A write waits
     * for a cut at most as long as ss and conntrack take.
     */
    private void recut(Set<Integer> watched, KernelRoutes.Plan written) {
        synchronized (this) {
            if (written.kernel() != kernel) return;
            cut(watched, written);
        }
    }

    /** Ends the sockets and the conntrack entries of flows on watched ports whose backend may no longer take them. */
    private void cut(Set<Integer> watched, KernelRoutes.Plan plan) {
        if (watched.isEmpty()) return;
        List<Conntrack.Flow> stale = Conntrack.stale(Conntrack.flows(Conntrack.read()), watched, plan.live());
        List<Conntrack.Flow> open = stale.stream().filter(f -> !f.over()).toList();
        for (int i = 0; i < open.size(); i += SS_BATCH) {
            List<Conntrack.Flow> batch = open.subList(i, Math.min(open.size(), i + SS_BATCH));
            quietly("end " + batch.size() + " connections to a backend no longer theirs", List.of("ss", "-K", "-t", "-n", "-H", Conntrack.filter(batch)));
        }
        // Their conntrack entries go too: a client on another machine, whose socket is not here, is
        // then reset on its next packet (a new flow that does not open with a SYN). So do those of
        // closed connections (TIME_WAIT): a new connection from the same client port would take one
        // up again, with its old backend, past the rules. One call per backend.
        Set<String> done = new HashSet<>();
        for (Conntrack.Flow f : stale) {
            if (!done.add(f.key())) continue;
            quietly("delete the conntrack entries of route port " + f.routePort() + " to " + f.backend() + ":" + f.backendPort(),
                    List.of("conntrack", "-D", "-p", "tcp", "--orig-port-dst", String.valueOf(f.routePort()), "--reply-src", f.backend(),
                            "--reply-port-src", String.valueOf(f.backendPort())));
        }
        if (!open.isEmpty()) log.info("router: ended {} connections whose backend may no longer take them", open.size());
    }

    /** Runs a tool; a failure is logged (the next change, or the second pass, tries again). */
    private static void quietly(String what, List<String> command) {
        try {
            Commands.run(command, null);
        } catch (IllegalStateException e) {
            // conntrack -D exits 1 when there was nothing left to delete (ss -K's resets may have ended them): not a failure.
            if (!e.getMessage().contains(" 0 flow entries have been deleted")) log.warn("router: cannot {}: {}", what, e.getMessage());
        }
    }

    private KernelRoutes.Settings settings() {
        return new KernelRoutes.Settings(config.hostAddress(), config.tcpBindAddress(), config.addonBindAddress(), config.tcpMaxConnections(),
                config.tcpIdleTimeout(), owners.addresses());
    }

    /**
     * Who owns a port no rule may capture: Grid's parts, a host's job ports, or another listener
     * of this machine. These change seldom, and reading them (etcd, /proc) on every change of a
     * leader would put that time between the change and its rule: they are read at most every 5 s.
     */
    private java.util.function.IntFunction<String> reserved() {
        long now = System.nanoTime();
        if (owners == null || now - ownersRead > OWNERS_TTL) {
            Map<Integer, String> grid = new HashMap<>();
            for (GridEndpoint e : store.values(Keys.ENDPOINTS, GridEndpoint.class)) {
                if (KernelRoutes.isLoopback(e.address()) || e.address().equals(config.hostAddress()) || e.address().equals("0.0.0.0")) grid.putIfAbsent(e.port(), e.what());
            }
            List<int[]> ranges = new ArrayList<>();
            List<String> rangeHosts = new ArrayList<>();
            for (HostInfo h : store.values(Keys.HOSTS, HostInfo.class)) {
                if (KernelRoutes.isLoopback(h.address()) || h.address().equals(config.hostAddress())) {
                    ranges.add(new int[] {h.portMin(), h.portMax()});
                    rangeHosts.add(h.id());
                }
            }
            Set<Integer> listening = new TreeSet<>(Listeners.ports());
            owners = new Owners(grid, ranges, rangeHosts, listening, localAddresses());
            ownersRead = now;
        }
        Owners o = owners;
        Set<Integer> ours = relay.ports(); // the relay's own listeners
        Set<Integer> captured = kernel.keySet();
        return port -> {
            if (o.grid().containsKey(port)) return o.grid().get(port);
            for (int i = 0; i < o.ranges().size(); i++) {
                if (port >= o.ranges().get(i)[0] && port <= o.ranges().get(i)[1]) return "the job port range of host " + o.rangeHosts().get(i);
            }
            // A port already captured stays: a listener that binds it later never gets its traffic anyway.
            if (o.listening().contains(port) && !ours.contains(port) && !captured.contains(port)) return "another listener on this machine";
            return null;
        };
    }

    /** What {@link #reserved} reads, as read at one time. */
    private record Owners(Map<Integer, String> grid, List<int[]> ranges, List<String> rangeHosts, Set<Integer> listening, List<String> addresses) {}

    private static final long OWNERS_TTL = Duration.ofSeconds(5).toNanos();
    private volatile Owners owners;
    private long ownersRead;

    private static List<String> localAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface n : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : java.util.Collections.list(n.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress()) out.add(a.getHostAddress());
                }
            }
        } catch (SocketException e) {
            // none known
        }
        out.sort(null);
        return out;
    }

    /** Reads the routes' counters: refusals are logged with the route's name, and both go into the metrics. */
    private void readCounters() {
        try {
            String listing = Nft.run("list", "counters", "table", "inet", table.name());
            Map<Integer, Route> routes = routesByPort;
            Matcher m = COUNTER.matcher(listing);
            while (m.find()) {
                boolean refused = m.group(1).equals("refused");
                int port = Integer.parseInt(m.group(2));
                long packets = Long.parseLong(m.group(3));
                Long seen = (refused ? refusedSeen : acceptedSeen).put(port, packets);
                // A counter written anew (the table replaced) starts from 0 again.
                long more = seen == null || packets < seen ? packets : packets - seen;
                Route route = routes.get(port);
                if (more > 0 && route != null) {
                    RouterMetrics.TcpMeters meters = metrics.tcp(route);
                    (refused ? meters.kernelRefused : meters.kernelAccepted).addAndGet(more);
                }
                if (refused && more > 0) {
                    log.warn("router: TCP route {} on port {} has {} connections, its limit: refused {} more since the last such line",
                            route == null ? "?" : route.id(), port, config.tcpMaxConnections(), more);
                }
            }
        } catch (RuntimeException e) {
            log.debug("router: cannot read the kernel routes' counters: {}", e.getMessage());
        }
    }

    /** Which data path serves each TCP route now: "kernel" or "relay: REASON". */
    synchronized Map<Integer, String> paths() {
        Map<Integer, String> out = new HashMap<>();
        for (int p : kernel.keySet()) out.put(p, "kernel");
        for (var e : proxied.entrySet()) out.put(e.getKey(), "relay: " + e.getValue());
        return out;
    }

    @Override
    public void close() {
        close(true);
    }

    /** Stops following etcd; with {@code remove} the rules go too, else they keep serving until the next router replaces them. */
    synchronized void close(boolean remove) {
        background.shutdownNow();
        if (remove) table.remove(KernelRoutes.PART);
    }
}
