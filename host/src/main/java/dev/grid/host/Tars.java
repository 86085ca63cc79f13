package dev.grid.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Tar streams Grid writes into containers and reads out of them, so that nothing a build or an
 * app wrote is ever opened as a path on the host: what comes out is read as entries, and a
 * symbolic link is an entry, never followed. What goes in is owned by the container's user:
 * every entry is written with that UID and GID (Docker unpacks as they say), without
 * setuid or setgid bits.
 */
public final class Tars {
    private Tars() {}

    /** A writer of tar entries (long names allowed) whose every entry is owned by {@code uid}, for streaming into a container. */
    public static TarArchiveOutputStream writer(OutputStream out, int uid) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name()) {
            @Override
            public void putArchiveEntry(TarArchiveEntry e) throws IOException {
                e.setIds(uid, uid);
                e.setUserName("");
                e.setGroupName("");
                e.setMode(e.getMode() & ~06000);
                super.putArchiveEntry(e);
            }
        };
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        return tar;
    }

    /**
     * Whether the entry is a regular file. Not {@code isFile()}: commons-compress counts every
     * entry that is not a directory as a file, a symbolic link or a device among them.
     */
    public static boolean regular(TarArchiveEntry e) {
        byte f = e.getLinkFlag();
        return (f == TarArchiveEntry.LF_NORMAL || f == TarArchiveEntry.LF_OLDNORM || f == TarArchiveEntry.LF_CONTIG) && !e.getName().endsWith("/");
    }

    /** A tar of empty directories (mode 0755) owned by {@code uid}, such as {@code app} for /app. */
    public static byte[] directories(int uid, String... paths) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = writer(bytes, uid)) {
            for (String p : paths) putDirectory(tar, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Adds an empty directory (mode 0755). */
    public static void putDirectory(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    /** Adds a regular file readable by its owner only (mode 0600). */
    public static void putFile(TarArchiveOutputStream tar, String name, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(0100600);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

}
