package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.blobs.Blobs;
import dev.grid.core.ImageArchive;
import dev.grid.store.Credentials;
import dev.grid.store.Keys;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against this machine's Docker: images stored in a blob store layer by layer and loaded back as
 * a host that lacks them would, sending only the layers it does not have; and what a load does
 * with a layer that is not what the archive says (a blob store written by something else).
 */
class ImageArchivesTest {
    @TempDir
    Path dir;

    @Test
    void anImageGoesToTheBlobStoreLayerByLayerAndComesBackWithOnlyTheLayersAHostLacks() throws Exception {
        String repo = "gridtest-archive/t" + Long.toHexString(System.nanoTime());
        String base = repo + ":base";
        String one = repo + ":one";
        String two = repo + ":two";
        List<String> made = List.of(one, two, base);
        try (Store store = SharedEtcd.newStore(); Docker docker = new Docker(Docker.DEFAULT_HOST);
             Credentials.Verifier verifier = new Credentials.Verifier(store); Lease lease = store.lease(60)) {
            Blobs blobs = new Blobs(dir.resolve("blobs"), "127.0.0.1", 0, verifier);
            try {
                Path baseTar = dir.resolve("base.tar");
                Files.write(baseTar, tar("base.txt", "the base\n"));
                run("docker", "import", baseTar.toString(), base);
                build(one, base, "one.txt");
                build(two, base, "two.txt");

                ImageArchives.Exported first = ImageArchives.export(docker, blobs, store, one);
                assertEquals(2, first.archive().layers().size());
                assertEquals(2, first.newLayers(), "a new blob store gets both layers");
                ImageArchives.Exported second = ImageArchives.export(docker, blobs, store, two);
                assertEquals(1, second.newLayers(), "the base the two share is stored once");
                assertEquals(3, blobs.names("layer-").size());
                assertEquals(docker.imageId(one), store.get(Keys.image(one), ImageArchive.class).orElseThrow().id());

                String token = Credentials.issue(store, "image-test", lease.id());
                ImageArchives.Loader loader = new ImageArchives.Loader(store, docker, () -> token);
                assertNull(loader.ensure(one), "an image the host has is not loaded again");

                String oneId = docker.imageId(one);
                docker.removeImage(one);
                assertFalse(docker.hasImage(one));
                ImageArchives.Loader.Loaded loaded = loader.ensure(one);
                assertEquals(1, loaded.layersSent(), "the host has the base (under another image): only the top layer is sent");
                assertEquals(oneId, docker.imageId(one), "the very image that was stored");

                docker.removeImage(two);
                docker.removeImage(one);
                docker.removeImage(base);
                loaded = loader.ensure(two);
                assertEquals(2, loaded.layersSent(), "a host with none of it gets every layer");
                assertEquals(second.archive().id(), docker.imageId(two));

                // A layer blob that is not what the archive says (same size, other bytes): Docker refuses it, and no image is made.
                docker.removeImage(one);
                docker.removeImage(two);
                ImageArchive a = first.archive();
                Path top = blobs.file(ImageArchive.blobName(a.layers().get(1).diffId())).orElseThrow();
                byte[] bytes = Files.readAllBytes(top);
                byte[] forged = tar("one.txt", "forged\n");
                assertTrue(forged.length <= bytes.length);
                java.util.Arrays.fill(bytes, (byte) 0);
                System.arraycopy(forged, 0, bytes, 0, forged.length);
                Files.write(top, bytes);
                IOException refused = assertThrows(IOException.class, () -> loader.ensure(one));
                assertTrue(refused.getMessage().contains(one), refused.getMessage());
                assertFalse(docker.hasImage(one), "nothing loaded under its name");

                // A blob that is gone: the host says which, and loads nothing.
                Files.delete(top);
                IOException missing = assertThrows(IOException.class, () -> loader.ensure(one));
                assertTrue(missing.getMessage().contains("HTTP 404"), missing.getMessage());
                assertFalse(docker.hasImage(one));

                IOException never = assertThrows(IOException.class, () -> loader.ensure(repo + ":never"));
                assertTrue(never.getMessage().contains("is not on this host, and Grid has not stored it"), never.getMessage());
            } finally {
                blobs.close();
                for (String image : made) docker.removeImage(image);
                for (String image : made) store.delete(Keys.image(image));
            }
        }
    }

    @Test
    void theLoadTarHasTheManifestTheConfigurationAndOnlyTheLayersAsked() throws Exception {
        String d0 = "sha256:" + "a".repeat(64);
        String d1 = "sha256:" + "b".repeat(64);
        ImageArchive a = new ImageArchive("grid-app/x:1", "sha256:" + "c".repeat(64), "{\"rootfs\":{}}",
                List.of(new ImageArchive.Layer(d0, 5), new ImageArchive.Layer(d1, 3)), "http://127.0.0.1:1/blobs/", java.time.Instant.EPOCH);
        List<String> opened = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageArchives.writeLoadTar(a, 1, l -> {
            opened.add(l.diffId());
            return new java.io.ByteArrayInputStream("xyz".getBytes());
        }, out);
        assertEquals(List.of(d1), opened, "the layer below is the host's already");
        var entries = new ArrayList<String>();
        String manifest = null;
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new java.io.ByteArrayInputStream(out.toByteArray()))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                entries.add(e.getName());
                if (e.getName().equals("manifest.json")) manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        assertEquals(List.of("manifest.json", "c".repeat(64) + ".json", "layer-1/layer.tar"), entries);
        assertTrue(manifest.contains("\"RepoTags\":[\"grid-app/x:1\"]") && manifest.contains("\"layer-0/layer.tar\",\"layer-1/layer.tar\""), manifest);

        // A blob shorter or longer than the archive says fails the write: Docker never sees a layer cut or padded.
        IOException shortBlob = assertThrows(IOException.class, () -> ImageArchives.writeLoadTar(a, 0,
                l -> new java.io.ByteArrayInputStream("xy".getBytes()), new ByteArrayOutputStream()));
        assertTrue(shortBlob.getMessage().contains("short"), shortBlob.getMessage());
        IOException longBlob = assertThrows(IOException.class, () -> ImageArchives.writeLoadTar(a, 1,
                l -> new java.io.ByteArrayInputStream("wxyz".getBytes()), new ByteArrayOutputStream()));
        assertTrue(longBlob.getMessage().contains("longer"), longBlob.getMessage());
    }

    private void build(String image, String from, String file) throws Exception {
        Path ctx = Files.createDirectories(dir.resolve(file + "-ctx"));
        Files.writeString(ctx.resolve(file), file + "\n");
        Files.writeString(ctx.resolve("Dockerfile"), "FROM " + from + "\nCOPY " + file + " /" + file + "\n");
        run("docker", "build", "-q", "-t", image, ctx.toString());
    }

    private static void run(String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("DOCKER_BUILDKIT", "0");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
    }

    private static byte[] tar(String name, String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            byte[] b = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(b.length);
            tar.putArchiveEntry(e);
            tar.write(b);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }
}
