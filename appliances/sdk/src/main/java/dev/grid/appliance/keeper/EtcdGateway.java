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

    private final HttpClient http;
    private final List<String> endpoints;
    private final String prefix;
    private final String user;
    private final String password;
    private int current;
    /** etcd's token for {@link #user}; null until signed in, and again once etcd no longer knows it. */
    private volatile String token;

    public EtcdGateway(List<String> endpoints, String prefix) {
        this(endpoints, prefix, null, null, null, null, null);
    }

    /**
     * With {@code user} (and its password) signs in to an etcd with authentication; {@code caPem}
     * trusts etcd's TLS certificate, and {@code certPem} with {@code keyPem} (PKCS#8) is the client
     * certificate an etcd that asks for one gets.
     */
    public EtcdGateway(List<String> endpoints, String prefix, String user, String password, String caPem, String certPem, String keyPem) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no etcd endpoint");
        if ((user == null) != (password == null)) throw new IllegalArgumentException("an etcd user needs its password");
        this.endpoints = List.copyOf(endpoints);
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
        this.user = user;
        this.password = password;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (blank(caPem) != blank(certPem) && !blank(certPem)) throw new IllegalArgumentException("a client certificate needs the CA too");
        if (!blank(caPem)) b.sslContext(tls(caPem, certPem, keyPem));
        this.http = b.build();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static javax.net.ssl.SSLContext tls(String caPem, String certPem, String keyPem) {
        try {
            var x509 = java.security.cert.CertificateFactory.getInstance("X.509");
            var trusted = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (var c : x509.generateCertificates(new java.io.ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)))) {
                trusted.setCertificateEntry("ca" + i++, c);
            }
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            javax.net.ssl.KeyManager[] keys = null;
            if (!blank(certPem)) {
                var chain = x509.generateCertificates(new java.io.ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)))
                        .toArray(java.security.cert.Certificate[]::new);
                var own = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
                own.load(null, null);
                own.setKeyEntry("client", privateKey(keyPem), new char[0], chain);
                var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(own, new char[0]);
                keys = kmf.getKeyManagers();
            }
            var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
            ssl.init(keys, tmf.getTrustManagers(), null);
            return ssl;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the etcd TLS settings cannot be used: " + e.getMessage(), e);
        }
    }

    /** A PKCS#8 PEM key (BEGIN PRIVATE KEY), RSA or EC. */
    private static java.security.PrivateKey privateKey(String pem) throws java.security.GeneralSecurityException {
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        var spec = new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
        try {
            return java.security.KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (java.security.spec.InvalidKeySpecException notRsa) {
            return java.security.KeyFactory.getInstance("EC").generatePrivate(spec);
        }
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
        try {
            return send(path, body);
        } catch (InvalidToken e) {
            token = null; // etcd restarted, or the token lapsed: sign in again, once
            return send(path, body);
        }
    }

    /** etcd no longer knows the token it gave. */
    private static final class InvalidToken extends IOException {
        InvalidToken(String message) {
            super(message);
        }
    }

    private JsonNode send(String path, Map<String, Object> body) throws IOException {
        if (user != null && token == null) token = authenticate();
        return post(path, body, token);
    }

    private String authenticate() throws IOException {
        String t = post("/v3/auth/authenticate", Map.of("name", user, "password", password), null).path("token").asText("");
        if (t.isEmpty()) throw new IOException("etcd gave no token to " + user);
        return t;
    }

    private JsonNode post(String path, Map<String, Object> body, String auth) throws IOException {
        IOException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            String endpoint = endpoints.get((current + i) % endpoints.size());
            try {
                HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(Duration.ofSeconds(3))
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
                if (auth != null) req.header("Authorization", auth);
                HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (r.body().contains("invalid auth token")) throw new InvalidToken(endpoint + path + ": " + r.body());
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
