package dev.grid.builder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.core.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The builder is a client of the controller API, like the CLI: it can run on any machine. */
public final class ControllerClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private final String token;

    public ControllerClient(String url, String token) {
        this.url = url;
        this.token = token;
    }

    public JsonNode send(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(Json.write(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = r.body().isBlank() ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(r.body());
            if (r.statusCode() >= 300) throw new BuildFailure(n.path("error").asText("the controller answered HTTP " + r.statusCode()));
            return n;
        } catch (IOException e) {
            throw new BuildFailure("cannot reach the controller at " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailure("interrupted");
        }
    }

    public Map<String, String> config(String app) {
        return Json.MAPPER.convertValue(send("GET", "/apps/" + app + "/config", null),
                Json.MAPPER.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    }
}
