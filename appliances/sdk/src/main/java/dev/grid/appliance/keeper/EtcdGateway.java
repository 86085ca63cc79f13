package dev.grid.appliance.keeper;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The little of etcd a keeper needs, over etcd's JSON gateway ({@code /v3/...}), so
 * that the keeper runs on nothing but a JDK and Jackson inside the data node's
 * container. Keys are relative to the Grid prefix, as with {@code Store}.
 */
public final class EtcdGateway {
    static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> endpoints;
    private final String prefix;
    private int current;

    public EtcdGateway(List<String> endpoints, String prefix) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no etcd endpoint");
        this.endpoints = List.copyOf(endpoints);
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    }

    public long grant(long ttlSeconds) throws IOException {
        return call("/v3/lease/grant", Map.of("TTL", ttlSeconds)).path("ID").asLong();
    }

    /** Renews the lease; false once it has expired. */
    public boolean keepAlive(long lease) throws IOException {
        return call("/v3/lease/keepalive", Map.of("ID", lease)).path("result").path("TTL").asLong(0) > 0;
    }

    public void put(String key, Object value, long lease) throws IOException {
        String json = value instanceof String s ? s : JSON.writeValueAsString(value);
        call("/v3/kv/put", Map.of("key", b64(prefix + key), "value", b64(json), "lease", lease));
    }

    public void delete(String key) throws IOException {
        call("/v3/kv/deleterange", Map.of("key", b64(prefix + key)));
    }

    public <T> Optional<T> get(String key, Class<T> type) throws IOException {
        JsonNode kvs = call("/v3/kv/range", Map.of("key", b64(prefix + key))).path("kvs");
        if (!kvs.isArray() || kvs.isEmpty()) return Optional.empty();
        byte[] value = B64D.decode(kvs.get(0).path("value").asText(""));
        return Optional.of(JSON.readValue(value, type));
    }

    private JsonNode call(String path, Map<String, Object> body) throws IOException {
        IOException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            String endpoint = endpoints.get((current + i) % endpoints.size());
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint + path))
                        .timeout(Duration.ofSeconds(3))
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (r.statusCode() != 200) throw new IOException(endpoint + path + ": HTTP " + r.statusCode() + " " + r.body());
                current = (current + i) % endpoints.size();
                return JSON.readTree(r.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static String b64(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
