package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarsTest {
    @TempDir
    Path dir;

    private static void entry(TarArchiveOutputStream tar, String name, byte type, int mode, String content, String link) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(mode);
        e.setIds(0, 0);
        if (link != null) e.setLinkName(link);
        byte[] b = content == null ? new byte[0] : content.getBytes(StandardCharsets.UTF_8);
        if (content != null) e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    @Test
    void aReownedSlugBelongsToTheAppWithoutSetuidBitsOrDevices() throws IOException {
        Path tgz = dir.resolve("slug.tgz");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(tgz)))) {
            entry(tar, "./", TarArchiveEntry.LF_DIR, 040755, null, null);
            entry(tar, "./server.js", TarArchiveEntry.LF_NORMAL, 0104755, "x", null);
            entry(tar, "./link", TarArchiveEntry.LF_SYMLINK, 0120777, null, "/etc/passwd");
            entry(tar, "./disk", TarArchiveEntry.LF_BLK, 060600, null, null);
        }
        Path owned = dir.resolve("owned.tar");
        Tars.reown(tgz, 200123, "app", owned);
        List<String> seen = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(owned))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                assertEquals(200123, e.getLongUserId(), e.getName());
                assertEquals(200123, e.getLongGroupId(), e.getName());
                assertEquals(0, e.getMode() & 06000, e.getName() + " keeps no setuid or setgid bit");
                seen.add(e.getName() + (e.isSymbolicLink() ? " -> " + e.getLinkName() : ""));
            }
        }
        assertEquals(List.of("app/", "app/server.js", "app/link -> /etc/passwd"), seen,
                "under app/, to unpack at /; a link stays a link (Docker resolves it inside the container); no device");
    }
}
