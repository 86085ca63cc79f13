package dev.grid.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.StreamSupport;

/** The controller API and the real CLI, pointed at one Grid, for tests. */
record TestApi(String url, String token) {
    /**
     * Where the in-process CLI runs: a directory in no git checkout, so that apps:create adds no
     * remote to the repository under test, and no command finds its app in one.
     */
    static final java.nio.file.Path OUTSIDE_ANY_CHECKOUT = outsideAnyCheckout();

    private static java.nio.file.Path outsideAnyCheckout() {
        try {
            return java.nio.file.Files.createTempDirectory("grid-cli-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    record Response(int status, JsonNode body) {}

    Response call(String method, String path, String jsonBody, String bearer) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
                    .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody))
                    .header("Content-Type", "application/json");
            if (bearer != null) b.header("Authorization", "Bearer " + bearer);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    Response call(String method, String path, String jsonBody) {
        return call(method, path, jsonBody, token);
    }

    record Text(int status, String body) {}

    /** A GET of any URL with this bearer token (none if null), its answer as text: what a metrics scraper does. */
    static Text get(String url, String bearer) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
            if (bearer != null) b.header("Authorization", "Bearer " + bearer);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Text(r.statusCode(), r.body());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode ok(String method, String path, String jsonBody) {
        Response r = call(method, path, jsonBody);
        if (r.status() >= 300) throw new AssertionError(method + " " + path + " -> " + r.status() + " " + r.body());
        return r.body();
    }

    /** The app's config vars, sorted. */
    java.util.Map<String, String> config(String app) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        ok("GET", "/apps/" + app + "/config", null).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    List<JsonNode> jobs(String app) {
        return StreamSupport.stream(ok("GET", "/apps/" + app + "/jobs", null).spliterator(), false).toList();
    }

    List<JsonNode> upJobs(String app) {
        return jobs(app).stream().filter(j -> j.path("state").asText().equals("up")).toList();
    }

    record CliResult(int exitCode, String out, String err) {}

    /** Runs the real CLI in this JVM; returns its exit code and what it printed. */
    CliResult cli(String... args) {
        return cliIn(OUTSIDE_ANY_CHECKOUT, args);
    }

    /** The same, run in {@code dir} (an app's checkout, say). */
    CliResult cliIn(java.nio.file.Path dir, String... args) {
        return cli(dir, "", args);
    }

    /** The CLI with {@code stdin} piped in (what grid run's command reads). */
    CliResult cliWithStdin(String stdin, String... args) {
        return cli(OUTSIDE_ANY_CHECKOUT, stdin, args);
    }

    private CliResult cli(java.nio.file.Path dir, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // Never this JVM's own stdin: surefire talks to its forked JVMs through it.
        var cl = dev.grid.cli.Grid.commandLine(dev.grid.cli.Grid.forApi(url, token, dir)
                .withStdin(new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)), out, err));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliResult(code, out.toString(), err.toString());
    }

    /** A release whose web process answers with its job id and logs each request. */
    void deployWeb(String app) {
        ok("POST", "/apps", "{\"name\":\"" + app + "\"}");
        ok("POST", "/apps/" + app + "/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + JSON.valueToTree(TestCluster.WEB) + "}}}");
    }
}
