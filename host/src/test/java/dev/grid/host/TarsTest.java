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

    @Test
    void whatABuildLeavesIsReadOnlyAsRegularFiles() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            entry(tar, "out/", TarArchiveEntry.LF_DIR, 040755, null, null);
            entry(tar, "out/release.yml", TarArchiveEntry.LF_SYMLINK, 0120777, null, "/root/.grid/token");
            entry(tar, "out/slug.tgz", TarArchiveEntry.LF_NORMAL, 0100644, "slug", null);
        }
        Path yml = Files.createFile(dir.resolve("release.yml"));
        Path slug = Files.createFile(dir.resolve("slug.tgz"));
        IOException refused = assertThrows(IOException.class,
                () -> Tars.copyRegularFiles(new ByteArrayInputStream(bytes.toByteArray()), Map.of("release.yml", yml, "slug.tgz", slug), 1 << 20));
        assertTrue(refused.getMessage().contains("release.yml is not a regular file"), refused.getMessage());
        assertEquals(0, Files.size(yml), "the link's target was never read");

        Path only = Files.createFile(dir.resolve("only.tgz"));
        assertEquals(java.util.Set.of("slug.tgz"), Tars.copyRegularFiles(new ByteArrayInputStream(bytes.toByteArray()), Map.of("slug.tgz", only), 1 << 20));
        assertEquals("slug", Files.readString(only));
        assertThrows(IOException.class, () -> Tars.copyRegularFiles(new ByteArrayInputStream(bytes.toByteArray()), Map.of("slug.tgz", only), 2), "too large");
    }
}
