package dev.grid.blobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The blob store on a small disk of its own (a 4 MiB tmpfs): a blob is whole or absent, and a full disk says so. */
class BlobsTest {
    private Path mount;
    private Blobs blobs;

    @BeforeEach
    void smallDisk() throws Exception {
        mount = Files.createTempDirectory("grid-blobs-disk");
        sh("mount -t tmpfs -o size=4m grid-blobs-test " + mount);
        blobs = new Blobs(mount.resolve("blobs"), "127.0.0.1", 0, null);
    }

    @AfterEach
    void unmount() throws Exception {
        if (blobs != null) blobs.close();
        sh("umount " + mount + " && rmdir " + mount);
    }

    private static void sh(String cmd) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
    }

    private static Path fileOf(int bytes) throws IOException {
        Path f = Files.createTempFile("grid-blob", ".bin");
        Files.write(f, new byte[bytes]);
        return f;
    }

    private List<String> everything() throws IOException {
        try (var files = Files.walk(mount)) {
            return files.filter(Files::isRegularFile).map(p -> mount.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aBlobTooBigForTheDiskFailsClearlyAndLeavesNothingBehind() throws Exception {
        Path small = fileOf(1 << 20);
        Path big = fileOf(6 << 20);
        try {
            blobs.put("app-v1.tgz", small);
            IOException e = assertThrows(IOException.class, () -> blobs.put("app-v2.tgz", big));
            assertTrue(e.getMessage().contains("storing app-v2.tgz in the blob store") && e.getMessage().contains("MiB free"), e.getMessage());
            assertEquals(List.of("blobs/app-v1.tgz"), everything(), "no half-written blob, no part file");
            assertEquals(1 << 20, Files.size(blobs.file("app-v1.tgz").orElseThrow()), "the blob before is whole");
            assertTrue(blobs.file("app-v2.tgz").isEmpty());
            blobs.put("app-v2.tgz", small); // the space the failed copy took is free again
        } finally {
            Files.delete(small);
            Files.delete(big);
        }
    }

    @Test
    void aBlobReplacedByAFailedWriteKeepsItsOldContent() throws Exception {
        Path one = fileOf(1 << 20);
        Path big = fileOf(6 << 20);
        try {
            blobs.put("keeper.tgz", one);
            assertThrows(IOException.class, () -> blobs.put("keeper.tgz", big));
            assertEquals(1 << 20, Files.size(blobs.file("keeper.tgz").orElseThrow()), "the old blob is still whole, not truncated");
        } finally {
            Files.delete(one);
            Files.delete(big);
        }
    }

    @Test
    void aProducerWritesOnTheBlobStoresDiskAndTheBlobAppearsWholeAtOnce() throws Exception {
        Path part = blobs.newFile("backup-db-b001.dump");
        assertTrue(part.startsWith(mount), "written on the blob store's own disk, not /tmp: " + part);
        Files.writeString(part, "dump");
        assertTrue(blobs.file("backup-db-b001.dump").isEmpty(), "not a blob until it is moved into place");
        blobs.move("backup-db-b001.dump", part);
        assertEquals("dump", Files.readString(blobs.file("backup-db-b001.dump").orElseThrow()));
        assertFalse(Files.exists(part));
        Path elsewhere = fileOf(4);
        try {
            assertThrows(IllegalArgumentException.class, () -> blobs.move("x.tgz", elsewhere), "only the store's own part files are moved");
        } finally {
            Files.delete(elsewhere);
        }
    }

    @Test
    void whatACrashLeftHalfWrittenIsRemovedAtStart() throws Exception {
        Path part = blobs.newFile("app-v3.tgz");
        Files.writeString(part, "half");
        blobs.close();
        blobs = new Blobs(mount.resolve("blobs"), "127.0.0.1", 0, null);
        assertEquals(List.of(), everything());
    }

    /** A host's credential asks the blob store for a blob still being written, by every spelling of its path: never served. */
    @Test
    void aPartBeingWrittenIsNeverServedWhateverThePathSays() throws Exception {
        try (dev.grid.store.Store store = dev.grid.testing.SharedEtcd.newStore(); var lease = store.lease(30);
             var verifier = new dev.grid.store.Credentials.Verifier(store)) {
            String auth = dev.grid.store.Credentials.header(dev.grid.store.Credentials.issue(store, "host-t", lease.id()));
            Blobs served = new Blobs(mount.resolve("served"), "127.0.0.1", 0, verifier);
            try {
                Path part = served.newFile("app-v9.tgz");
                Files.writeString(part, "half");
                String name = part.getFileName().toString();
                var http = java.net.http.HttpClient.newHttpClient();
                for (String path : List.of(".incoming/" + name, "%2eincoming/" + name, "x/../.incoming/" + name, "app-v9.tgz")) {
                    var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(served.url("") + path)).header("Authorization", auth).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertEquals(404, r.statusCode(), path + ": " + r.body());
                }
                served.move("app-v9.tgz", part);
                var whole = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(served.url("app-v9.tgz"))).header("Authorization", auth).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, whole.statusCode());
                assertEquals("half", whole.body());
            } finally {
                served.close();
            }
        }
    }
}
