package dev.grid.core;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An image kept in the blob store so that any host can load it (key {@code images/HASH}, see
 * {@link dev.grid.store.Keys#image}): its configuration, verbatim, so that the image loaded
 * has the same id; and its layers, each a blob named by its diff id (the SHA-256 of the
 * layer's tar), so images that share a base store it once. Docker checks every layer it loads
 * against the diff id, and the id against the configuration.
 */
public record ImageArchive(String image, String id, String config, List<Layer> layers, String blobBase, Instant storedAt) {
    private static final Pattern DIFF_ID = Pattern.compile("sha256:[0-9a-f]{64}");
    /** Images every machine's set-up builds for itself (the stack, the appliances'): never archived. */
    public static final String GRIDS_OWN = "grid/";

    public ImageArchive {
        layers = List.copyOf(layers);
        for (Layer l : layers) blobName(l.diffId());
        if (!DIFF_ID.matcher(id).matches()) throw new IllegalArgumentException("not an image id: " + id);
    }

    /** One layer: its diff id and the size of its tar. */
    public record Layer(String diffId, long size) {}

    /** The blob a layer is kept in: {@code layer-HEX.tar}. */
    public static String blobName(String diffId) {
        if (diffId == null || !DIFF_ID.matcher(diffId).matches()) throw new IllegalArgumentException("not a layer diff id: " + diffId);
        return "layer-" + diffId.substring("sha256:".length()) + ".tar";
    }

    public String url(Layer layer) {
        return blobBase + blobName(layer.diffId());
    }

    public List<String> diffIds() {
        return layers.stream().map(Layer::diffId).toList();
    }

    public long bytes() {
        return layers.stream().mapToLong(Layer::size).sum();
    }

    /**
     * How many of {@code layers}' first layers a host already has: the longest prefix of them that
     * is a prefix of some image's layers there ({@code local}). Docker keys a layer by its whole
     * chain, so a layer counts only below layers that are the same too.
     */
    public static int shared(List<String> layers, Collection<List<String>> local) {
        int best = 0;
        for (List<String> chain : local) {
            int n = 0;
            while (n < layers.size() && n < chain.size() && layers.get(n).equals(chain.get(n))) n++;
            best = Math.max(best, n);
        }
        return best;
    }

    /** Whether Grid archives the image: not one of its own, which every machine builds for itself. */
    public static boolean archivable(String image) {
        return image != null && !image.startsWith(GRIDS_OWN) && !image.isBlank();
    }
}
