package dev.grid.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who listens on a port, from the kernel's socket tables ({@code /proc/net/tcp} and
 * {@code tcp6}). With host networking any process can bind a free port, so before a job's port
 * gets traffic the host checks that the job's app holds it: another app that took the port
 * first would otherwise receive the job's requests.
 */
public final class Listeners {
    private static final String LISTEN = "0A";

    private Listeners() {}

    /** The UIDs of the sockets listening on {@code port}, on any address. */
    public static Set<Integer> owners(int port) {
        return owners(tables(), port);
    }

    /** Every port some socket of this machine listens on, on any address. */
    public static Set<Integer> ports() {
        return ports(tables());
    }

    /** The kernel's TCP socket tables, IPv4 and IPv6, as one text (a heading line each). */
    private static String tables() {
        StringBuilder all = new StringBuilder();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                all.append(Files.readString(Path.of(table))).append('\n');
            } catch (IOException noTable) {
                // no IPv6 here
            }
        }
        return all.toString();
    }

    /** The listening ports in one table's text. */
    public static Set<Integer> ports(String table) {
        Set<Integer> ports = new TreeSet<>();
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !LISTEN.equals(f[3])) continue;
            int colon = f[1].lastIndexOf(':');
            try {
                ports.add(Integer.parseInt(f[1].substring(colon + 1), 16));
            } catch (NumberFormatException | StringIndexOutOfBoundsException header) {
                // the heading line
            }
        }
        return ports;
    }

    /** The UIDs listening on {@code port} in one table's text. */
    public static Set<Integer> owners(String table, int port) {
        Set<Integer> uids = new TreeSet<>();
        String hexPort = String.format(":%04X", port);
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
            if (f.length < 8 || !f[1].endsWith(hexPort) || !LISTEN.equals(f[3])) continue;
            try {
                uids.add(Integer.parseInt(f[7]));
            } catch (NumberFormatException header) {
                // the heading line
            }
        }
        return uids;
    }
}
