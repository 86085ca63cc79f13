package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The controller API as the CLI sees it: URL and token from GRID_URL/GRID_TOKEN or GRID_HOME/cli.json. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String url;
    private final String token;

    Api(String url, String token) {
        this.url = url;
        this.token = token;
    }

    static Path home() {
        return home(System.getenv());
    }

    /** GRID_HOME as {@code env} has it, else ~/.grid. */
    static Path home(java.util.Map<String, String> env) {
        String h = env.get("GRID_HOME");
        return Path.of(h != null ? h : System.getProperty("user.home") + "/.grid");
    }

    static Api fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** The API {@code GRID_URL} and {@code GRID_TOKEN} name in {@code env}, else {@code GRID_HOME/cli.json}'s. */
    static Api fromEnvironment(java.util.Map<String, String> env) {
        String url = env.get("GRID_URL");
        String token = env.get("GRID_TOKEN");
        Path cfg = home(env).resolve("cli.json");
        if ((url == null || token == null) && Files.exists(cfg)) {
            try {
                JsonNode n = JSON.readTree(cfg.toFile());
                if (url == null) url = n.path("url").asText();
                if (token == null) token = n.path("token").asText();
            } catch (IOException e) {
                throw new CliException("cannot read " + cfg + ": " + e.getMessage());
            }
        }
        if (url == null || token == null) {
            throw new CliException("Grid is not set up here: start it with './grid up', or set GRID_URL and GRID_TOKEN");
        }
        return new Api(url, token);
    }

    /** Which Grid, and as whom: what a daemon keeps one client for. */
    String identity() {
        return url + " " + token;
    }

    /** A WebSocket to the API at {@code path} (http becomes ws), with the token. */
    java.util.concurrent.CompletableFuture<java.net.http.WebSocket> webSocket(String path, java.net.http.WebSocket.Listener listener) {
        URI uri = URI.create(url.replaceFirst("^http", "ws") + path);
        return http.newWebSocketBuilder().header("Authorization", "Bearer " + token).connectTimeout(Duration.ofSeconds(5)).buildAsync(uri, listener);
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    JsonNode patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    JsonNode send(String method, String path, Object body) {
        try {
            return exchange(method, path, body == null ? null : "application/json",
                    body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException("cannot write the request: " + e.getMessage());
        }
    }

    /** POSTs a file as the body, as it is on disk (a backup to restore, say). */
    JsonNode upload(String path, Path file) {
        try {
            return exchange("POST", path, "application/octet-stream", HttpRequest.BodyPublishers.ofFile(file));
        } catch (java.io.FileNotFoundException e) {
            throw new CliException("cannot read " + file + ": no such file");
        }
    }

    private JsonNode exchange(String method, String path, String contentType, HttpRequest.BodyPublisher body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
                    .header("Authorization", "Bearer " + token).header("Accept", "application/json");
            if (contentType != null) b.header("Content-Type", contentType);
            b.method(method, body);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
            if (r.statusCode() >= 400) {
                throw new CliException(n.path("error").asText("HTTP " + r.statusCode() + ": " + r.body()));
            }
            return n;
        } catch (ConnectException e) {
            throw new CliException("cannot reach Grid at " + url + ": is it running? ('./grid up')");
        } catch (IOException e) {
            throw new CliException("request to " + url + path + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    /** A streaming GET: the body as it arrives. */
    InputStream stream(String path) {
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url + path))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() >= 400) {
                JsonNode n = JSON.readTree(r.body());
                throw new CliException(n.path("error").asText("HTTP " + r.statusCode()));
            }
            return r.body();
        } catch (ConnectException e) {
            throw new CliException("cannot reach Grid at " + url + ": is it running? ('./grid up')");
        } catch (IOException e) {
            throw new CliException("request to " + url + path + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
