package dev.grid.blobs;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import dev.grid.store.Credentials;

/**
 * Where slugs, keeper programs and backups live: files in a directory, served over HTTP
 * at {@code GET /blobs/NAME} so that every host can fetch them. Every request must carry the
 * bearer token of a live Grid part ({@link Credentials}); backups are never served at all
 * (the controller reads them here). Writes happen in this process only: HTTP has no PUT.
 */
public final class Blobs implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");
    /** Blobs that stay on this machine: a database's data is not for hosts to fetch. */
    public static final String BACKUP_PREFIX = "backup-";
    private final Path dir;
    private final HttpServer server;
    private final String url;

    public Blobs(Path dir, String address, int port, Credentials.Verifier verifier) throws IOException {
        this.dir = Files.createDirectories(dir);
        // Halves of blobs a crash interrupted: never served (the name has a dot first), removed here.
        Path incoming = dir.resolve(INCOMING);
        if (Files.isDirectory(incoming)) {
            try (var parts = Files.list(incoming)) {
                for (Path p : parts.toList()) Files.deleteIfExists(p);
            }
        }
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "blobs");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/blobs/", ex -> {
            try (ex) {
                if (verifier.refuses(ex)) return;
                String name = ex.getRequestURI().getPath().substring("/blobs/".length());
                Path file = dir.resolve(name);
                if (!"GET".equals(ex.getRequestMethod()) || !NAME.matcher(name).matches() || name.startsWith(BACKUP_PREFIX)
                        || !Files.isRegularFile(file)) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, Files.size(file));
                try (OutputStream out = ex.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        });
        server.start();
        url = "http://" + address + ":" + server.getAddress().getPort() + "/blobs/";
    }

    /**
     * Stores a copy of the file under the name and returns its URL. The copy is written beside the
     * blobs and renamed into place: a blob is whole or absent, never half written (a full disk, a
     * crash), and a failed copy leaves nothing behind.
     */
    public String put(String name, Path file) throws IOException {
        checkName(name);
        Path part = newFile(name);
        try {
            Files.copy(file, part, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw failed(name, e);
        }
        return move(name, part);
    }

    /**
     * An empty file in the blob store's own directory (on its disk), for a producer to write a
     * blob into before {@link #move}: a backup is dumped here, never to /tmp and then copied.
     */
    public Path newFile(String name) throws IOException {
        checkName(name);
        return Files.createTempFile(Files.createDirectories(dir.resolve(INCOMING)), name + ".", ".part");
    }

    /** Renames {@code part} (from {@link #newFile}) into place as the named blob, at once; returns its URL. */
    public String move(String name, Path part) throws IOException {
        checkName(name);
        if (!part.toAbsolutePath().getParent().equals(dir.resolve(INCOMING).toAbsolutePath())) {
            throw new IllegalArgumentException(part + " is not a file of this blob store's (see newFile)");
        }
        try {
            Files.move(part, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw failed(name, e);
        }
        return url + name;
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("invalid blob name " + name);
    }

    private IOException failed(String name, IOException e) {
        long free = dir.toFile().getUsableSpace();
        return new IOException("storing " + name + " in the blob store (" + dir + ", " + (free >> 20) + " MiB free) failed: " + e.getMessage()
                + (free < (64L << 20) ? ": its disk is full; free space there, or remove old backups (grid pg:backups)" : ""), e);
    }

    /** The directory blobs are written in before they are renamed into place; what a crash left there is removed at start. */
    static final String INCOMING = ".incoming";

    /** Where the named blob lives on this machine, if it exists. */
    public java.util.Optional<Path> file(String name) {
        if (!NAME.matcher(name).matches()) return java.util.Optional.empty();
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? java.util.Optional.of(file) : java.util.Optional.empty();
    }

    /** The blobs whose names start with {@code prefix}, each with when it was last written. */
    public java.util.Map<String, java.time.Instant> names(String prefix) throws IOException {
        java.util.Map<String, java.time.Instant> out = new java.util.TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(prefix) && NAME.matcher(name).matches() && Files.isRegularFile(p)) {
                    out.put(name, Files.getLastModifiedTime(p).toInstant());
                }
            }
        }
        return out;
    }

    public boolean delete(String name) throws IOException {
        return NAME.matcher(name).matches() && Files.deleteIfExists(dir.resolve(name));
    }

    /** Free bytes on the blob store's disk, and where that is. */
    public long usableSpace() {
        return dir.toFile().getUsableSpace();
    }

    public Path dir() {
        return dir;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String name) {
        return url + name;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
