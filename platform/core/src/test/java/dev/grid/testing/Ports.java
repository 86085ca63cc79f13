package dev.grid.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the listeners a test configures before it starts them (etcd, a server's API, HTTP
 * and SSH ports), from 23000-24999: below the kernel's ephemeral range (32768-60999), so no
 * connection's local port and no bind to port 0 can take one between the test's choice and its
 * listener's bind (CI saw etcd find its port taken, twice). No Grid default or test range lies
 * there. Each is handed out once per JVM, and only if nothing listens on it or on the port after
 * it now: the one after stays free too (a Grid server's etcd takes GRID_ETCD_PORT + 1 for peers).
 */
public final class Ports {
    private static final int LOW = 23000, SIZE = 2000;
    private static final AtomicInteger NEXT = new AtomicInteger((int) (ProcessHandle.current().pid() % SIZE) & ~1);

    private Ports() {}

    public static int free() {
        for (int tried = 0; tried < SIZE / 2; tried++) {
            int port = LOW + Math.floorMod(NEXT.getAndAdd(2), SIZE);
            try (ServerSocket s = new ServerSocket(); ServerSocket next = new ServerSocket()) {
                s.setReuseAddress(true);
                next.setReuseAddress(true);
                s.bind(new InetSocketAddress(port)); // every address: nothing holds it on any
                next.bind(new InetSocketAddress(port + 1));
                return port;
            } catch (IOException taken) {
                // the next pair
            }
        }
        throw new IllegalStateException("no free port in " + LOW + "-" + (LOW + SIZE - 1));
    }
}
