package dev.grid.host;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/** Slugs this host has fetched and unpacked, one directory each, mounted read-only at /app by the jobs that use them. */
final class Slugs {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path dir;

    Slugs(Path dir) {
        this.dir = dir;
    }

    /** The unpacked slug, fetched and unpacked first if this host does not have it yet. */
    synchronized Path unpacked(String url) throws IOException {
        Path target = dir.resolve(digest(url));
        if (Files.isDirectory(target)) return target;
        Files.createDirectories(dir);
        Path tarball = Files.createTempFile(dir, "slug", ".tgz");
        Path staging = Files.createTempDirectory(dir, "unpack");
        try {
            HttpResponse<Path> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5)).build(),
                    HttpResponse.BodyHandlers.ofFile(tarball));
            if (r.statusCode() != 200) throw new IOException("HTTP " + r.statusCode());
            Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", staging.toString()).redirectErrorStream(true).start();
            String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (tar.waitFor() != 0) throw new IOException("tar failed: " + out.strip());
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(tarball);
            if (Files.exists(staging)) new ProcessBuilder("rm", "-rf", staging.toString()).start();
        }
    }

    private static String digest(String url) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
