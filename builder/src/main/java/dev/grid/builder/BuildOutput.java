package dev.grid.builder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The host side of a build's directories: made for the app's UID before the build, and what the
 * build left read afterwards only as regular files, never through a link (a link to a host file
 * is refused, not followed), a fifo (that would block) or anything else. Once the build's container
 * is gone nothing can change them: only that container had them mounted.
 */
final class BuildOutput {
    private BuildOutput() {}

    /** A new directory (mode 0700) owned by {@code uid}. */
    static Path ownedDirectory(Path dir, int uid) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        own(dir, uid);
        return dir;
    }

    /** A new file (mode 0600) owned by {@code uid}; an existing path, a link included, is an error. */
    static void ownedFile(Path file, String content, int uid) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        own(file, uid);
    }

    static void own(Path p, int uid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * {@code dir/name} if it is a regular file of at most {@code maxBytes}; empty if there is
     * nothing there; refused with the reason if it is a link, a directory, a fifo or too large.
     */
    static Optional<Path> regularFile(Path dir, String name, long maxBytes) {
        Path file = dir.resolve(name);
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException missing) {
            return Optional.empty();
        }
        if (!a.isRegularFile()) throw new BuildFailure("the build left " + name + " as " + (a.isSymbolicLink() ? "a symbolic link"
                : a.isDirectory() ? "a directory" : "something other than a file") + ": it was not read");
        if (a.size() > maxBytes) throw new BuildFailure("the build's " + name + " is larger than " + (maxBytes >> 20) + " MB");
        return Optional.of(file);
    }
}
