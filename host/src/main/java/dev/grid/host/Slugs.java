package dev.grid.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Supplier;

/**
 * Slugs this host has fetched from the blob store (with its credential), one tarball each. They
 * are never unpacked on the host: each container that runs one unpacks it ({@link SlugProcess}).
 */
final class Slugs {
    private final Path dir;
    private final Supplier<String> token;

    Slugs(Path dir, Supplier<String> token) {
        this.dir = dir;
        this.token = token;
    }

    /**
     * The slug's tarball on this host, fetched first if this host does not have it yet. The file
     * is readable by anyone (the container's user reads it through its bind mount) but its
     * directory is root's alone: no other user of this host reaches it.
     */
    synchronized Path tarball(String url) throws IOException {
        Path target = dir.resolve(digest(url) + ".tgz");
        if (Files.isRegularFile(target)) return target;
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path partial = Files.createTempFile(dir, "slug", ".part", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            try (var in = BlobFetch.open(url, token.get(), Duration.ofMinutes(5))) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * Removes the fetched slugs whose URL is not in {@code kept}, and parts of fetches that never
     * finished, once older than {@link dev.grid.core.Retention#MIN_AGE}; how many files went.
     */
    synchronized int prune(java.util.Set<String> kept, java.time.Instant now) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (String url : kept) keep.add(digest(url) + ".tgz");
        java.time.Instant before = now.minus(dev.grid.core.Retention.MIN_AGE);
        int removed = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (keep.contains(name) || !(name.endsWith(".tgz") || name.endsWith(".part"))) continue;
                if (Files.getLastModifiedTime(f).toInstant().isAfter(before)) continue;
                if (Files.deleteIfExists(f)) removed++;
            }
        }
        return removed;
    }

    static String digest(String url) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
