package dev.grid.router;

import com.sun.net.httpserver.HttpServer;
import dev.grid.core.Instance;
import dev.grid.discovery.Discovery;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/** Real servers on loopback for router tests, registered in discovery like a host agent would. */
final class Backends implements AutoCloseable {
    private final Store store;
    private final Discovery discovery;
    private final Lease lease;
    private final List<AutoCloseable> running = new ArrayList<>();

    Backends(Store store) {
        this.store = store;
        this.discovery = new Discovery(store);
        this.lease = store.lease(30);
    }

    /** An HTTP server answering "NAME PATH" and echoing the request headers it got as X-Seen-* response headers. */
    HttpServer http(String service, String name, int delayMs) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                if (delayMs > 0) Thread.sleep(delayMs);
                for (var h : List.of("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Request-Id", "X-Request-Start")) {
                    String v = ex.getRequestHeaders().getFirst(h);
                    if (v != null) ex.getResponseHeaders().set("X-Seen-" + h.substring(2), v);
                }
                byte[] body = (name + " " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        running.add(() -> server.stop(0));
        register(service, name, server.getAddress().getPort());
        return server;
    }

    /** A TCP server that answers each line with "NAME:line". */
    ServerSocket echo(String service, String name) throws IOException {
        return raw(service, name, s -> {
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            String line;
            while ((line = reader.readLine()) != null) {
                out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        });
    }

    /** What a {@link #raw} backend does with each connection. */
    interface Conversation {
        void talk(Socket s) throws Exception;
    }

    /** A backend that speaks for itself: {@code conversation} gets each connection's socket (a 64 KiB send buffer). */
    ServerSocket raw(String service, String name, Conversation conversation) throws IOException {
        ServerSocket ss = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket s = ss.accept();
                    s.setSendBufferSize(64 << 10);
                    Thread c = new Thread(() -> {
                        try (s) {
                            conversation.talk(s);
                        } catch (Exception ignored) {
                            // the router or the test let go
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    // Closed, or a connection destroyed while it waited to be accepted (the kernel
                    // route ends a deposed leader's connections with ss -K): a real server goes on.
                    if (ss.isClosed()) return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        running.add(ss);
        register(service, name, ss.getLocalPort());
        return ss;
    }

    /** Reads an HTTP request's head (through the blank line) and returns it. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) return head.toString();
        }
        throw new IOException("the connection ended within the head: " + head);
    }

    void register(String service, String name, int port) {
        discovery.register(new Instance(service, name, "127.0.0.1", port, name, "test"), lease.id());
    }

    void deregister(String service, String name) {
        discovery.deregister(service, name);
    }

    /** The ports {@link #deadPort} hands out, one each per run, from a block the kernel never gives a socket that binds port 0. */
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_DEAD_PORT = new java.util.concurrent.atomic.AtomicInteger(29000);
    private static final int LAST_DEAD_PORT = 29999;

    /**
     * A port nothing listens on: for a route, or a backend that is down. Not an ephemeral one: a
     * kernel route's port has no listener either, so the kernel offered it again, and a second
     * route landed on the first one's port and reached its backend (KernelTcpRouteTest, once in CI).
     */
    static int deadPort() throws IOException {
        // (procfs gives no size: read it as lines, not with readString, which returned "3")
        String[] ephemeral = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).strip().split("\\s+");
        if (Integer.parseInt(ephemeral[0]) <= LAST_DEAD_PORT && Integer.parseInt(ephemeral[1]) >= NEXT_DEAD_PORT.get()) {
            throw new IllegalStateException("the ephemeral port range " + ephemeral[0] + "-" + ephemeral[1] + " overlaps the tests' route ports 29000-" + LAST_DEAD_PORT);
        }
        while (true) {
            int port = NEXT_DEAD_PORT.getAndIncrement();
            if (port > LAST_DEAD_PORT) throw new IllegalStateException("the tests used every route port up to " + LAST_DEAD_PORT);
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (java.net.BindException taken) {
                // something of this machine's: the next one
            }
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : running) c.close();
        lease.revoke();
    }
}
