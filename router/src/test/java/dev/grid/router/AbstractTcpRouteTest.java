package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.grid.core.Route;
import dev.grid.discovery.Discovery;
import dev.grid.net.NftTable;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A router with real backends on loopback and its routes in a real etcd, and what its TCP
 * routes promise whichever data path carries them: the relay ({@link AbstractRouterTest}'s
 * subclasses) or the kernel ({@link KernelTcpRouteTest}). Where the two differ in how a client
 * sees an ending (a close, a reset, a refused connect), the tests accept either.
 */
abstract class AbstractTcpRouteTest {
    static Store store;
    static Router router;
    static Backends backends;
    static Transport transport;
    /** Short, so that the tests of these timeouts take seconds. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(3);
    static final Duration BODY_TIMEOUT = Duration.ofSeconds(3);
    /** Larger than every buffer between a client and a backend, so that backpressure shows. */
    static final long MAX_BODY = 64L << 20;
    static final Duration TCP_IDLE = Duration.ofSeconds(2);
    static final int TCP_MAX = 20;
    /** Where the test router opens add-ons' TCP routes: another loopback address than its public one. */
    static final String ADDON_ADDRESS = "127.0.0.3";

    static void start(Transport t) throws Exception {
        start(t, TcpDatapath.PROXY, null);
    }

    static void start(Transport t, TcpDatapath datapath, NftTable table) throws Exception {
        transport = t;
        store = SharedEtcd.newStore();
        router = new Router(store, config(0, 0, 2, datapath), table).start();
        backends = new Backends(store);
    }

    static RouterConfig config(int http, int https, int threads, TcpDatapath datapath) {
        return config("127.0.0.1", http, https, threads, datapath);
    }

    /** A router of a host at {@code address}, listening there (HTTP and TCP routes). */
    static RouterConfig config(String address, int http, int https, int threads, TcpDatapath datapath) {
        return new RouterConfig(address, http, https, address, ADDON_ADDRESS, Duration.ofSeconds(2), Duration.ofSeconds(30), RESPONSE_TIMEOUT,
                BODY_TIMEOUT, MAX_BODY, TCP_IDLE, TCP_MAX, threads, transport, datapath, address, true);
    }

    @AfterAll
    static void stop() throws Exception {
        backends.close();
        router.close();
        store.deletePrefix("");
        store.close();
    }

    static void route(Route r) {
        store.put(Keys.route(r.id()), r);
    }

    /** An echo backend {@code name} behind a new TCP route {@code id} (to any instance) on a free port, once it answers; the port. */
    static int echoRoute(String id, String name) throws IOException {
        backends.echo(id, name);
        int port = Backends.deadPort();
        route(Route.tcp(id, port, id, false));
        awaitTcpLine(port, "x", name + ":x");
        return port;
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') if (c != '\r') line.append((char) c);
        return line.toString();
    }

    static String tcpLine(int port, String line) throws IOException {
        return tcpLine("127.0.0.1", port, line);
    }

    static String tcpLine(String address, int port, String line) throws IOException {
        try (Socket s = new Socket(address, port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    /** That the connection is over: its next read ends (closed) or fails (reset, aborted), never answers or waits. */
    static void assertEnded(Socket s, String why) {
        try {
            int b = s.getInputStream().read();
            assertEquals(-1, b, why + ": closed");
        } catch (java.net.SocketTimeoutException e) {
            fail(why + ": still open");
        } catch (IOException ended) {
            // reset or aborted: over too
        }
    }

    @Test
    void tcpRouteForwardsToAnyInstanceOrOnlyTheLeaderAndMovesWithTheLeader() throws Exception {
        backends.echo("t8-any", "e1");
        backends.echo("t8-any", "e2");
        int anyPort = Backends.deadPort();
        route(Route.tcp("t8-any", anyPort, "t8-any", false));
        String first = awaitTcpLine(anyPort, "hi", s -> s != null && s.endsWith(":hi"));
        assertTrue(first.equals("e1:hi") || first.equals("e2:hi"), first);

        backends.echo("t8-db", "primary");
        Eventually.sleep(50);
        backends.echo("t8-db", "standby");
        int leaderPort = Backends.deadPort();
        route(Route.tcp("t8-db", leaderPort, "t8-db", true));
        awaitTcpLine(leaderPort, "x", "primary:x");
        for (int i = 0; i < 5; i++) assertEquals("primary:x", tcpLine(leaderPort, "x"), "only the leader (the oldest instance)");

        try (Socket client = new Socket("127.0.0.1", leaderPort)) {
            client.setSoTimeout(5000);
            client.getOutputStream().write("before\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("primary:before", readLine(client.getInputStream()));
            long rev = store.get(Keys.leader("t8-db")).map(e -> e.modRevision()).orElse(0L);
            assertTrue(new Discovery(store).setLeader("t8-db", "standby", rev));
            // The client waits in a read and sends nothing: it must learn all the same.
            assertEnded(client, "the connection to the old leader");
        }
        assertEquals("standby:after", awaitTcpLine(leaderPort, "after", "standby:after"), "reconnect reaches the new leader");
    }

    /** Remove-and-add on one port: the new route takes the port the old one just let go of. */
    @Test
    void aTcpRouteReplacedOnTheSamePortIsServed() throws Exception {
        backends.echo("t10-old", "old");
        backends.echo("t10-new", "new");
        int port = Backends.deadPort();
        route(Route.tcp("t10-a", port, "t10-old", false));
        awaitTcpLine(port, "x", "old:x");
        for (int round = 0; round < 5; round++) {
            String from = round % 2 == 0 ? "t10-a" : "t10-b";
            String to = round % 2 == 0 ? "t10-b" : "t10-a";
            String service = round % 2 == 0 ? "t10-new" : "t10-old";
            // One transaction, so that one rebuild removes the old route and adds the new one.
            assertTrue(store.txn().delete(Keys.route(from)).put(Keys.route(to), Route.tcp(to, port, service, false)).commit());
            awaitTcpLine(port, "x", (round % 2 == 0 ? "new" : "old") + ":x");
        }
    }

    @Test
    void aTcpRouteEndsIdleConnectionsAndRefusesPastItsCap() throws Exception {
        int port = echoRoute("t15", "e");
        try (Socket idle = new Socket("127.0.0.1", port)) {
            idle.setSoTimeout(10_000);
            idle.getOutputStream().write("a\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("e:a", readLine(idle.getInputStream()));
            Eventually.sleep(TCP_IDLE.toMillis() / 2);
            idle.getOutputStream().write("b\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("e:b", readLine(idle.getInputStream()), "a connection that moves is not idle");
            Eventually.sleep(TCP_IDLE.toMillis() + 1500);
            try {
                idle.getOutputStream().write("c\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException ended) {
                // closed already
            }
            assertEnded(idle, "a connection idle for longer than the timeout");
        }
        java.util.List<Socket> flood = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < TCP_MAX; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("c" + i + "\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals("e:c" + i, readLine(s.getInputStream()), "within the cap");
                flood.add(s);
            }
            int answer;
            try (Socket over = new Socket("127.0.0.1", port)) {
                over.setSoTimeout(10_000);
                over.getOutputStream().write("over\n".getBytes(StandardCharsets.US_ASCII));
                answer = over.getInputStream().read();
            } catch (IOException refusedOrReset) {
                answer = -1;
            }
            assertEquals(-1, answer, "one past the cap is refused or closed as it arrives, unanswered");
            flood.remove(0).close();
            awaitTcpLine(port, "again", "e:again"); // a freed place is taken again
        } finally {
            for (Socket s : flood) s.close();
        }
    }

    @Test
    void anAddonsTcpRouteIsOpenOnlyWhereAppsReachAddonsUntilExposed() throws Exception {
        backends.echo("t16", "e");
        int port = Backends.deadPort();
        Route addon = Route.tcp("t16", port, "t16", true, Route.ADDON);
        route(addon);
        awaitTcpLine(ADDON_ADDRESS, port, "x", "e:x"::equals);
        assertThrows(java.net.ConnectException.class, () -> tcpLine("127.0.0.1", port, "x"), "not on the router's public address");

        route(addon.listening(Route.PUBLIC)); // what addons:expose does
        awaitTcpLine(port, "y", "e:y");
        assertThrows(java.net.ConnectException.class, () -> tcpLine(ADDON_ADDRESS, port, "x"), "moved, not doubled");
    }

    /** Sends {@code line} through {@code port} until the answer is {@code expect}; returns it. */
    static String awaitTcpLine(int port, String line, String expect) {
        return awaitTcpLine(port, line, expect::equals);
    }

    /** Sends {@code line} through {@code port} until the answer passes {@code ok} (5 s at most); returns it. */
    static String awaitTcpLine(int port, String line, java.util.function.Predicate<String> ok) {
        return awaitTcpLine("127.0.0.1", port, line, ok);
    }

    static String awaitTcpLine(String address, int port, String line, java.util.function.Predicate<String> ok) {
        return Eventually.await("an answer to '" + line + "' through " + address + ":" + port, Duration.ofSeconds(5), () -> {
            try {
                return tcpLine(address, port, line);
            } catch (IOException e) {
                return e.toString();
            }
        }, ok);
    }
}
