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
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "blobs");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/blobs/", ex -> {
            try (ex) {
                if (!verifier.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
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

    /** Stores the file under the name and returns its URL. */
    public String put(String name, Path file) throws IOException {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("invalid blob name " + name);
        Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        return url + name;
    }

    /** Where the named blob lives on this machine, if it exists. */
    public java.util.Optional<Path> file(String name) {
        if (!NAME.matcher(name).matches()) return java.util.Optional.empty();
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? java.util.Optional.of(file) : java.util.Optional.empty();
    }

    public boolean delete(String name) throws IOException {
        return NAME.matcher(name).matches() && Files.deleteIfExists(dir.resolve(name));
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
