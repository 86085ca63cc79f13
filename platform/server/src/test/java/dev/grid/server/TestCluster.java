package dev.grid.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Container;
import dev.grid.controller.ControllerConfig;
import dev.grid.controller.ControllerServer;
import dev.grid.host.Docker;
import dev.grid.host.HostAgent;
import dev.grid.host.HostConfig;
import dev.grid.scheduler.Scheduler;
import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Grid in the test JVM: the shared etcd (own key prefix), a controller on a
 * free port, a scheduler, and host agents on loopback addresses (127.0.0.2, ...)
 * that run real containers through the real Docker engine. Everything it starts
 * is labelled with its own host ids and removed on close.
 */
final class TestCluster implements AutoCloseable {
    static final String STACK_IMAGE = System.getenv().getOrDefault("GRID_STACK_IMAGE", "grid/stack:bookworm-1");
    /** A web process: answers with its job id, logs each request. */
    static final String WEB = "node -e \"require('http').createServer((q,s)=>{console.log('request '+q.url);"
            + "s.end(process.env.GRID_JOB_ID)}).listen(process.env.PORT)\"";
    private static final AtomicInteger PORT_BLOCK = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    final String id = "t" + UUID.randomUUID().toString().substring(0, 6);
    final Store store = SharedEtcd.newStore();
    final Docker docker = new Docker(Docker.DEFAULT_HOST).verify();
    final String token = UUID.randomUUID().toString();
    final List<HostAgent> hosts = new ArrayList<>();
    final long leaseTtl;
    final ControllerServer controller;
    final Scheduler scheduler;
    private final HttpClient http = HttpClient.newHttpClient();

    TestCluster(long leaseTtl) {
        this.leaseTtl = leaseTtl;
        if (!docker.hasImage(STACK_IMAGE)) {
            throw new IllegalStateException("the stack image " + STACK_IMAGE + " is missing: run scripts/setup-host.sh");
        }
        controller = ControllerServer.start(store, new ControllerConfig(token), "127.0.0.1", 0);
        scheduler = new Scheduler(store, id, leaseTtl, Clock.systemUTC()).start();
    }

    /** Starts (or restarts) host agent {@code name} at the address with its own port block. */
    HostAgent startHost(String name, String address) {
        int block = 21000 + (PORT_BLOCK.getAndIncrement() % 40) * 100;
        return startHost(name, address, block, block + 99);
    }

    HostAgent startHost(String name, String address, int portMin, int portMax) {
        try {
            HostAgent agent = new HostAgent(store, docker, new HostConfig(hostId(name), address, portMin, portMax, 8192,
                    Map.of(), leaseTtl, 0, Docker.DEFAULT_HOST)).start();
            hosts.add(agent);
            return agent;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String hostId(String name) {
        return id + "-" + name;
    }

    List<Container> containers(String hostName) {
        return docker.list(Map.of("grid.host", hostId(hostName)));
    }

    record Response(int status, JsonNode body) {}

    Response call(String method, String path, String jsonBody) {
        return call(method, path, jsonBody, token);
    }

    Response call(String method, String path, String jsonBody, String bearer) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(controller.url() + path))
                    .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody))
                    .header("Content-Type", "application/json");
            if (bearer != null) b.header("Authorization", "Bearer " + bearer);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode ok(String method, String path, String jsonBody) {
        Response r = call(method, path, jsonBody);
        if (r.status() >= 300) throw new AssertionError(method + " " + path + " -> " + r.status() + " " + r.body());
        return r.body();
    }

    /** Runs the real CLI against this cluster; returns exit code and what it printed. */
    record CliResult(int exitCode, String out, String err) {}

    CliResult cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = dev.grid.cli.Grid.commandLine(dev.grid.cli.Grid.forApi(controller.url(), token));
        cl.setOut(new java.io.PrintWriter(out));
        cl.setErr(new java.io.PrintWriter(err));
        int code = cl.execute(args);
        return new CliResult(code, out.toString(), err.toString());
    }

    void deployWeb(String app) {
        ok("POST", "/apps", "{\"name\":\"" + app + "\"}");
        ok("POST", "/apps/" + app + "/releases", "{\"image\":\"" + STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + JSON.valueToTree(WEB) + "}}}");
    }

    static String get(String address, int port) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + address + ":" + port + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (IOException | InterruptedException e) {
            return "unreachable: " + e;
        }
    }

    @Override
    public void close() {
        scheduler.close();
        controller.close();
        for (HostAgent h : hosts) {
            try {
                h.stop(true);
            } catch (RuntimeException alreadyStopped) {
                // stopped by the test
            }
        }
        for (Container c : docker.list(Map.of("grid.managed", "true"))) {
            if (c.getLabels().getOrDefault("grid.host", "").startsWith(id + "-")) docker.remove(c.getId(), 1);
        }
        docker.removeVolumes(Map.of("grid.managed", "true"), v -> v.startsWith("grid-" + id));
        store.deletePrefix("");
        store.close();
    }
}
