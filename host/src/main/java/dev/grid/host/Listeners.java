package dev.grid.host;

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
final class Listeners {
    private static final String LISTEN = "0A";

    private Listeners() {}

    /** The UIDs of the sockets listening on {@code port}, on any address. */
    static Set<Integer> owners(int port) {
        Set<Integer> uids = new TreeSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                uids.addAll(owners(Files.readString(Path.of(table)), port));
            } catch (IOException noTable) {
                // no IPv6 here
            }
        }
        return uids;
    }

    /** The UIDs listening on {@code port} in one table's text. */
    static Set<Integer> owners(String table, int port) {
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
