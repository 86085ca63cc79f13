package dev.grid.host;

import dev.grid.store.Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GETs a blob from the blob store with this host's credential: slugs ({@link Slugs}) and image layers ({@link ImageArchives}). */
final class BlobFetch {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private BlobFetch() {}

    /** The blob's bytes, for the caller to read and close; anything but 200 is an error that names the status and the URL. */
    static InputStream open(String url, String token, Duration timeout) throws IOException {
        try {
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .header("Authorization", Credentials.header(token)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                r.body().close();
                throw new IOException("the blob store answered HTTP " + r.statusCode() + " for " + url);
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
