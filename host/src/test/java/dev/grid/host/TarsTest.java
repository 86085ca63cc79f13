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
    void whatGoesIntoAContainerBelongsToItsUserWithoutSetuidBits() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = Tars.writer(bytes, 200123)) {
            entry(tar, "tmp/x", TarArchiveEntry.LF_NORMAL, 0104755, "x", null);
            Tars.putFile(tar, "tmp/env/KEY", "value");
        }
        List<String> seen = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                assertEquals(200123, e.getLongUserId(), e.getName());
                assertEquals(200123, e.getLongGroupId(), e.getName());
                seen.add(e.getName() + " " + Integer.toOctalString(e.getMode() & 07777));
            }
        }
        assertEquals(List.of("tmp/x 755", "tmp/env/KEY 600"), seen, "no setuid bit survives");
    }

    @Test
    void aLinkOrADeviceIsNoRegularFile() {
        assertTrue(Tars.regular(new TarArchiveEntry("slug.tgz")));
        assertTrue(!Tars.regular(new TarArchiveEntry("slug.tgz", TarArchiveEntry.LF_SYMLINK)), "commons-compress's isFile() says true");
        assertTrue(!Tars.regular(new TarArchiveEntry("disk", TarArchiveEntry.LF_BLK)));
        assertTrue(!Tars.regular(new TarArchiveEntry("dir/")));
    }
}
