package dev.grid.host;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.blobs.Blobs;
import dev.grid.core.ImageArchive;
import dev.grid.core.Json;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Images in the blob store, for every host ({@link ImageArchive}): {@link #export} stores one
 * from this machine's Docker, each layer a blob that images with the same base share;
 * {@link Loader} loads one on a host that lacks it, sending only the layers that host has not.
 */
public final class ImageArchives {
    private ImageArchives() {}

    /** An image stored: its archive, and how many of its layers (and bytes) the blob store did not have. */
    public record Exported(ImageArchive archive, int newLayers, long newBytes) {}

    /**
     * Stores {@code image} (on this machine's Docker) in the blob store and records it under
     * {@link Keys#image}. Each layer is written beside the blobs and hashed on the way: its diff
     * id names it, and one the blob store has already is dropped. Both layouts of {@code docker
     * save} are read: Docker's own ({@code ID.json}, {@code DIR/layer.tar}) and OCI's (Docker 25
     * on: {@code blobs/sha256/HEX}, the configuration's HEX being the image id; not tried here,
     * where Docker is 20.10).
     */
    public static Exported export(Docker docker, Blobs blobs, Store store, String image) throws IOException {
        String id = docker.imageId(image);
        String hex = id.substring("sha256:".length());
        java.util.Set<String> wanted = new java.util.HashSet<>(docker.imageLayers(image));
        String config = null;
        Map<String, Long> sizes = new HashMap<>();
        int fresh = 0;
        long freshBytes = 0;
        try (InputStream saved = docker.save(image); TarArchiveInputStream tar = new TarArchiveInputStream(saved)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                if (name.equals(hex + ".json") || name.equals("blobs/sha256/" + hex)) {
                    config = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
                } else if (e.isFile() && (name.endsWith("/layer.tar") || name.startsWith("blobs/sha256/"))) {
                    Path part = blobs.newFile("layer");
                    try {
                        MessageDigest sha = sha256();
                        try (OutputStream o = new DigestOutputStream(Files.newOutputStream(part), sha)) {
                            tar.transferTo(o);
                        }
                        String diffId = "sha256:" + HexFormat.of().formatHex(sha.digest());
                        if (!wanted.contains(diffId)) continue; // an OCI index or manifest, or a compressed copy: not a layer
                        long size = Files.size(part);
                        sizes.put(diffId, size);
                        String blob = ImageArchive.blobName(diffId);
                        if (blobs.file(blob).isEmpty()) {
                            blobs.move(blob, part);
                            fresh++;
                            freshBytes += size;
                        }
                    } finally {
                        Files.deleteIfExists(part);
                    }
                }
            }
        }
        if (config == null) throw new IOException("docker save of " + image + " had no configuration " + id);
        List<ImageArchive.Layer> layers = new ArrayList<>();
        for (String diffId : diffIds(config)) {
            Long size = sizes.get(diffId);
            if (size == null) throw new IOException("docker save of " + image + " had no layer " + diffId);
            layers.add(new ImageArchive.Layer(diffId, size));
        }
        ImageArchive archive = new ImageArchive(image, id, config, layers, blobs.url(""), Instant.now());
        store.put(Keys.image(image), archive);
        return new Exported(archive, fresh, freshBytes);
    }

    /** An image configuration's layers, bottom first ({@code rootfs.diff_ids}). */
    static List<String> diffIds(String config) throws IOException {
        JsonNode ids = Json.MAPPER.readTree(config).path("rootfs").path("diff_ids");
        List<String> out = new ArrayList<>();
        ids.forEach(n -> out.add(n.asText()));
        if (out.isEmpty()) throw new IOException("an image configuration without rootfs.diff_ids");
        return out;
    }

    /** Where a layer's bytes come from. */
    interface LayerSource {
        InputStream open(ImageArchive.Layer layer) throws IOException;
    }

    /**
     * Writes what {@code docker load} reads: the manifest, the configuration and the layers from
     * {@code from} on (those below are the ones the engine has). A layer source that gives more
     * or fewer bytes than the archive says fails the write.
     */
    static void writeLoadTar(ImageArchive a, int from, LayerSource source, OutputStream out) throws IOException {
        String configName = a.id().substring("sha256:".length()) + ".json";
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < a.layers().size(); i++) paths.add("layer-" + i + "/layer.tar");
        List<String> tags = a.image().startsWith("sha256:") ? List.of() : List.of(a.image());
        byte[] manifest = Json.MAPPER.writeValueAsBytes(List.of(Map.of("Config", configName, "RepoTags", tags, "Layers", paths)));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        entry(tar, "manifest.json", manifest);
        entry(tar, configName, a.config().getBytes(StandardCharsets.UTF_8));
        byte[] buffer = new byte[1 << 16];
        for (int i = from; i < a.layers().size(); i++) {
            ImageArchive.Layer layer = a.layers().get(i);
            TarArchiveEntry e = new TarArchiveEntry(paths.get(i));
            e.setSize(layer.size());
            tar.putArchiveEntry(e);
            try (InputStream in = source.open(layer)) {
                long left = layer.size();
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) throw new IOException("layer " + layer.diffId() + " ended " + left + " bytes short of its " + layer.size());
                    tar.write(buffer, 0, n);
                    left -= n;
                }
                if (in.read() >= 0) throw new IOException("layer " + layer.diffId() + " is longer than its " + layer.size() + " bytes");
            }
            tar.closeArchiveEntry();
        }
        tar.finish();
        tar.flush();
    }

    private static void entry(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads archived images on this host, fetching their layers from the blob store with the host's credential. */
    public static final class Loader {
        private final Store store;
        private final Docker docker;
        private final Supplier<String> token;

        public Loader(Store store, Docker docker, Supplier<String> token) {
            this.store = store;
            this.docker = docker;
            this.token = token;
        }

        /** What a load sent: the layers (of how many) and their bytes. */
        public record Loaded(int layersSent, int layers, long bytesSent) {}

        /**
         * Makes sure {@code image} is on this engine: null if it was; else loads it from the blob
         * store and says what was sent. Throws, with what to do, if no Grid part stored it there,
         * or if what was loaded is not the image stored (Docker checks each layer's diff id).
         */
        public Loaded ensure(String image) throws IOException {
            if (docker.hasImage(image)) return null;
            // One load at a time (they share the disk and the link); a start whose image is here never waits for one.
            synchronized (this) {
                return load(image);
            }
        }

        private Loaded load(String image) throws IOException {
            if (docker.hasImage(image)) return null;
            ImageArchive a = store.get(Keys.image(image), ImageArchive.class).orElseThrow(() -> new IOException("image " + image
                    + " is not on this host, and Grid has not stored it in the blob store: Grid stores the images of Dockerfile"
                    + " builds and of releases whose image is on the builder's machine; else load it on this host (docker load)"));
            int from = ImageArchive.shared(a.diffIds(), docker.layerChains());
            PipedInputStream in = new PipedInputStream(1 << 20);
            PipedOutputStream out = new PipedOutputStream(in);
            AtomicReference<Exception> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (out) {
                    writeLoadTar(a, from, layer -> BlobFetch.open(a.url(layer), token.get(), Duration.ofMinutes(30)), out);
                } catch (Exception e) {
                    failed.set(e);
                }
            }, "image-load");
            writer.setDaemon(true);
            writer.start();
            RuntimeException loadFailed = null;
            try (in) {
                docker.load(in);
            } catch (RuntimeException e) {
                loadFailed = e;
            }
            try {
                writer.join(Duration.ofMinutes(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while loading " + image, e);
            }
            // A writer that failed (a blob missing, a short layer) cut the tar short: its reason is the one to give.
            Exception w = failed.get();
            boolean pipe = w != null && String.valueOf(w.getMessage()).matches("(?i).*(pipe closed|read end dead|pipe broken).*");
            if (w != null && !pipe) throw new IOException("cannot load image " + image + " from the blob store: " + w.getMessage(), w);
            if (loadFailed != null) throw new IOException("Docker refused image " + image + " from the blob store: " + loadFailed.getMessage(), loadFailed);
            if (!docker.hasImage(image) || !a.id().equals(docker.imageId(image))) {
                throw new IOException("loading " + image + " from the blob store did not give image " + a.id());
            }
            long bytes = 0;
            for (int i = from; i < a.layers().size(); i++) bytes += a.layers().get(i).size();
            return new Loaded(a.layers().size() - from, a.layers().size(), bytes);
        }
    }
}
