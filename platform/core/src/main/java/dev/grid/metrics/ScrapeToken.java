package dev.grid.metrics;

import dev.grid.core.SecretFile;
import dev.grid.store.Credentials;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The token a metrics scraper (Prometheus) presents: it opens {@code /metrics} on every Grid
 * process and nothing else, so a scraper holds no operator's power. An operator mints it
 * ({@code grid metrics:token}); only its SHA-256 is kept, under {@code secrets/}, and a new one
 * replaces the old at once.
 */
public final class ScrapeToken {
    private ScrapeToken() {}

    /** A new scrape token, replacing any earlier one. */
    public static String mint(Store store) {
        String token = "gridm_" + SecretFile.randomHex(24);
        store.put(Keys.METRICS_TOKEN, Credentials.sha256(token));
        return token;
    }

    /** Whether {@code authorization} ("Bearer TOKEN") carries the current scrape token. */
    public static boolean accepts(Store store, String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) return false;
        String hash = store.get(Keys.METRICS_TOKEN).map(e -> e.value()).orElse(null);
        if (hash == null) return false;
        byte[] given = Credentials.sha256(authorization.substring("Bearer ".length()).trim()).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(given, hash.getBytes(StandardCharsets.US_ASCII));
    }
}
