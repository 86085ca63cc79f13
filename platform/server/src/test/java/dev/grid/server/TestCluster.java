package dev.grid.server;

import dev.grid.host.Docker.Container;
import dev.grid.appliance.Appliance;
import dev.grid.appliance.Manager;
import dev.grid.blobs.Blobs;
import dev.grid.controller.ApplianceCatalog;
import dev.grid.controller.ControllerConfig;
import dev.grid.controller.ControllerServer;
import dev.grid.host.Docker;
import dev.grid.host.HostAgent;
import dev.grid.host.HostConfig;
import dev.grid.router.Router;
import dev.grid.router.RouterConfig;
import dev.grid.router.Transport;
import dev.grid.scheduler.Scheduler;
import dev.grid.builder.BuildLimits;
import dev.grid.builder.ControllerClient;
import dev.grid.builder.GitServer;
import dev.grid.builder.SlugBuilder;
import dev.grid.core.GridEndpoint;
import dev.grid.store.Credentials;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.testing.SharedEtcd;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
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
    static final String STACK_IMAGE = dev.grid.core.StackImage.configured();
    /** A web process: answers with its job id, logs each request. */
    static final String WEB = "node -e \"require('http').createServer((q,s)=>{console.log('request '+q.url);"
            + "s.end(process.env.GRID_JOB_ID)}).listen(process.env.PORT)\"";
    private static final AtomicInteger PORT_BLOCK = new AtomicInteger();
    /** Each cluster's TCP route ports: 31000-31009, 31010-31019, ... (below the OwnServers' 32000 on). */
    private static final AtomicInteger TCP_BLOCK = new AtomicInteger();
    /** Each cluster gives its apps UIDs of its own, as two Grids on one machine must. */
    private static final AtomicInteger UID_BLOCK = new AtomicInteger();

    final String id = "t" + UUID.randomUUID().toString().substring(0, 6);
    final Store store = SharedEtcd.newStore();
    final Docker docker = new Docker(Docker.DEFAULT_HOST).verify();
    final String token = UUID.randomUUID().toString();
    final List<HostAgent> hosts = new ArrayList<>();
    final long leaseTtl;
    final java.nio.file.Path stateDir;
    final ControllerServer controller;
    private final ControllerConfig controllerConfig;
    private final ApplianceCatalog catalog;
    final Blobs blobs;
    final List<Manager> managers = new ArrayList<>();
    final Scheduler scheduler;
    final Router router;
    /** The cluster's meters, as one Grid process has them, and its GRID_METRICS_PORT server. */
    final dev.grid.metrics.GridMetrics metrics = new dev.grid.metrics.GridMetrics();
    final dev.grid.metrics.MetricsServer metricsServer;
    /** The log drains, as a host and a router see them; their TLS trusts {@link #DRAIN_CERT} (a receiver's on localhost). */
    final dev.grid.drains.Drains drains;
    static final io.netty.handler.ssl.util.SelfSignedCertificate DRAIN_CERT = drainCertificate();

    private static io.netty.handler.ssl.util.SelfSignedCertificate drainCertificate() {
        try {
            return new io.netty.handler.ssl.util.SelfSignedCertificate("localhost");
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A TLS context that trusts {@link #DRAIN_CERT} (as a client), or that presents it (as a server). */
    static javax.net.ssl.SSLContext drainTls(boolean server) {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("receiver", DRAIN_CERT.cert());
            ks.setKeyEntry("key", DRAIN_CERT.key(), new char[0], new java.security.cert.Certificate[] {DRAIN_CERT.cert()});
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            if (server) {
                var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
                ctx.init(kmf.getKeyManagers(), null, null);
            } else {
                var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                ctx.init(null, tmf.getTrustManagers(), null);
            }
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
    /** Where the controller reads the router's access lines. */
    final dev.grid.net.LineServer routerLogs;
    final TestApi api;
    final int uidMin = 300000 + UID_BLOCK.getAndIncrement() * 1000;
    final int uidMax = uidMin + 999;
    final Credentials.Verifier verifier;
    /** Grid's own ports (etcd, API, blobs, SSH) for the hosts' firewalls, as GridServer registers them. */
    final Lease endpointsLease;
    GitServer git;
    /** The router's own nftables table (its kernel TCP routes): this cluster's, no host's. */
    final dev.grid.net.NftTable routerTable = dev.grid.net.NftTable.forHost(id + "-router");

    TestCluster(long leaseTtl) {
        this(leaseTtl, Manager.DEFAULT_REPLACE_AFTER);
    }

    /**
     * A cluster whose controller keeps the Postgres archive (base backups, WAL): only the tests of
     * the archive ask for it, as a base backup takes seconds of the two cores from every other test.
     */
    static TestCluster archiving(long leaseTtl) {
        synchronized (TestCluster.class) {
            System.setProperty(ARCHIVE_PROPERTY, "on");
            try {
                return new TestCluster(leaseTtl);
            } finally {
                System.setProperty(ARCHIVE_PROPERTY, "off");
            }
        }
    }

    /** As {@link #archiving}, with the repository in S3-compatible storage: {@code repoConf} is a GRID_PG_ARCHIVE_REPO file. */
    static TestCluster archivingTo(java.nio.file.Path repoConf, long leaseTtl) {
        synchronized (TestCluster.class) {
            System.setProperty("grid.pg.archive.repo", repoConf.toString());
            try {
                return archiving(leaseTtl);
            } finally {
                System.clearProperty("grid.pg.archive.repo");
            }
        }
    }

    /** What GRID_PG_ARCHIVE says to a Grid: the tests' clusters have no archive unless {@link #archiving} made them. */
    static final String ARCHIVE_PROPERTY = "grid.pg.archive";

    static {
        if (System.getProperty(ARCHIVE_PROPERTY) == null) System.setProperty(ARCHIVE_PROPERTY, "off");
    }

    /** @param replaceAfter the managers' GRID_NODE_REPLACE_AFTER */
    TestCluster(long leaseTtl, Duration replaceAfter) {
        this.leaseTtl = leaseTtl;
        try {
            this.stateDir = java.nio.file.Files.createTempDirectory("grid-test-" + id);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (!docker.hasImage(STACK_IMAGE)) {
            throw new IllegalStateException("the stack image " + STACK_IMAGE + " is missing: run scripts/setup-host.sh");
        }
        verifier = new Credentials.Verifier(store);
        try {
            blobs = new Blobs(stateDir.resolve("blobs"), "127.0.0.1", 0, verifier);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        List<Appliance> appliances = Appliances.installed();
        for (Appliance a : appliances) managers.add(new Manager(store, a.name(), a.failover(), id, replaceAfter).metrics(metrics).start());
        // A TCP port range of its own, taken atomically: two clusters may start at once (a test beside the others).
        int tcpBlock = 31000 + (TCP_BLOCK.getAndIncrement() % 90) * 10;
        controllerConfig = new ControllerConfig(token, "grid.test", tcpBlock, tcpBlock + 9, null, "127.0.0.1", STACK_IMAGE, uidMin, uidMax);
        catalog = new ApplianceCatalog(appliances, blobs);
        controller = ControllerServer.start(store, controllerConfig, catalog, metrics, "127.0.0.1", 0);
        try {
            metricsServer = new dev.grid.metrics.MetricsServer("127.0.0.1", 0, metrics, store);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        endpointsLease = store.lease(30);
        for (GridEndpoint e : List.of(GridEndpoint.ofUrl("etcd", SharedEtcd.url()), GridEndpoint.ofUrl("etcd peers", SharedEtcd.etcd().peerUrl()),
                new GridEndpoint("API", "127.0.0.1", URI.create(controller.url()).getPort()), new GridEndpoint("blob store", "127.0.0.1", blobs.port()),
                new GridEndpoint("metrics", "127.0.0.1", metricsServer.port()))) {
            GridEndpoint.register(store, endpointsLease.id(), e);
        }
        scheduler = new Scheduler(store, id, leaseTtl, Clock.systemUTC()).metrics(metrics).start();
        drains = new dev.grid.drains.Drains(store, drainTls(false), 200, metrics.registry()).start();
        api = new TestApi(controller.url(), token);
        try {
            router = new Router(store, RouterConfig.defaults("127.0.0.1", 0, -1, Transport.choose(Transport.AUTO)), routerTable, metrics.registry()).start();
            router.accessLog().drainTo(drains);
            GridEndpoint.registerPublic(store, endpointsLease.id(), new GridEndpoint("the router's HTTP", "127.0.0.1", router.httpPort()));
            routerLogs = GridServer.announceRouter(store, endpointsLease.id(), router, id + "-router", "127.0.0.1", verifier);
        } catch (InterruptedException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Another controller of this Grid, as after an upgrade: its start-up brings earlier state up to date. Close it. */
    ControllerServer startAnotherController() {
        return ControllerServer.start(store, controllerConfig, catalog, "127.0.0.1", 0);
    }

    /** Starts (or restarts) host agent {@code name} at the address with its own port block. */
    HostAgent startHost(String name, String address) {
        int block = 21000 + (PORT_BLOCK.getAndIncrement() % 40) * 100;
        return startHost(name, address, block, block + 99);
    }

    /** Starts {@code count} host agents, a, b, c, ... at 127.0.0.2, 127.0.0.3, ... */
    List<HostAgent> startHosts(int count) {
        List<HostAgent> started = new ArrayList<>();
        for (int i = 0; i < count; i++) started.add(startHost(String.valueOf((char) ('a' + i)), "127.0.0." + (2 + i)));
        return started;
    }

    HostAgent startHost(String name, String address, int portMin, int portMax) {
        try {
            HostAgent agent = new HostAgent(store, docker, new HostConfig(hostId(name), address, portMin, portMax, 8192,
                    Map.of(), leaseTtl, 0, Docker.DEFAULT_HOST, stateDir.resolve(name), uidMin, uidMax, true)).drains(drains).start();
            hosts.add(agent);
            return agent;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts git push over SSH with a builder for this cluster (its SSH port is one of Grid's). */
    /** Where the builder runs, as in GridServer: kept images go to the blob store for every host. */
    dev.grid.host.ImageArchiver archiver;

    GitServer startGit(BuildLimits limits) throws IOException {
        SlugBuilder builder = new SlugBuilder(docker, STACK_IMAGE, stateDir.resolve("builder"), blobs,
                new ControllerClient(controller.url(), token), "grid.test", Duration.ofSeconds(60), limits).metrics(metrics.registry());
        git = new GitServer(store, stateDir.resolve("git"), "127.0.0.1", 0, builder).start();
        archiver = new dev.grid.host.ImageArchiver(store, docker, blobs, Duration.ofMinutes(2));
        GridEndpoint.register(store, endpointsLease.id(), new GridEndpoint("git over SSH", "127.0.0.1", git.port()));
        return git;
    }

    String hostId(String name) {
        return id + "-" + name;
    }

    List<Container> containers(String hostName) {
        return docker.list(Map.of("grid.host", hostId(hostName)));
    }

    /** Runs SQL with the real psql; its output, or the error. */
    /**
     * The serial of the certificate a server shows on {@code plain} (connected, and past any
     * preamble its protocol has, such as Postgres's SSLRequest): the handshake only looks at the
     * chain, it does not judge it.
     */
    static java.math.BigInteger servedCertificate(java.net.Socket plain, String host, int port) throws Exception {
        javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
        c.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {}
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {}
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) c.getSocketFactory().createSocket(plain, host, port, false)) {
            tls.setSoTimeout(5000);
            tls.startHandshake();
            return ((java.security.cert.X509Certificate) tls.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    static String psql(String url, String sql) {
        try {
            Process p = new ProcessBuilder("psql", url, "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql).redirectErrorStream(true).start();
            // Never longer than a minute: a commit that waits for a sync replica that never comes must fail the test, not hang it.
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "psql failed: no answer within 60 s";
            }
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.exitValue() == 0 ? out : "psql failed: " + out;
        } catch (Exception e) {
            return "psql failed: " + e;
        }
    }

    /**
     * Runs {@code sql} on a Postgres node as its local superuser, over the socket inside the node's
     * running container (no network, no password): its output, or "psql failed: ..." with why.
     */
    static String nodeSql(Docker docker, dev.grid.appliance.ClusterKeys keys, dev.grid.appliance.NodeReport node, String sql) {
        // By its port too: another Grid on this machine (an OwnServer's) may run a cluster of that name.
        var running = docker.list(Map.of("grid.app", keys.app(), "grid.type", node.id(), "grid.port", String.valueOf(node.port())))
                .stream().filter(Docker.Container::running).findFirst();
        if (running.isEmpty()) return "psql failed: no running container for " + node.id();
        try {
            Process p = new ProcessBuilder("docker", "exec", running.get().id(), "/usr/lib/postgresql/15/bin/psql", "-h", "/tmp",
                    "-p", String.valueOf(node.port()), "-U", "postgres", "-Atq", "-v", "ON_ERROR_STOP=1", "-c", sql).redirectErrorStream(true).start();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "psql failed: no answer within 60 s";
            }
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.exitValue() == 0 ? out : "psql failed: " + out;
        } catch (Exception e) {
            return "psql failed: " + e;
        }
    }

    /** Waits for the cluster to have a writable primary that every other member streams from; its primary. */
    static String awaitWhole(dev.grid.store.Store store, dev.grid.appliance.ClusterKeys keys, List<String> members) {
        return dev.grid.testing.Eventually.await("the cluster whole", java.time.Duration.ofSeconds(60), () -> {
            var state = dev.grid.appliance.Clusters.state(store, keys).orElse(null);
            Map<String, dev.grid.appliance.NodeReport> r = dev.grid.appliance.Clusters.reports(store, keys);
            if (state == null || r.get(state.primary()) == null || !r.get(state.primary()).isWritablePrimary()) return null;
            for (String m : members) if (!m.equals(state.primary()) && !state.streams(m, r.get(m))) return null;
            return state.primary();
        }, p -> p != null);
    }

    /**
     * The running container of data node {@code node} of {@code keys} on this cluster's hosts
     * (another Grid on this machine, an OwnServer's, may run a cluster of that name).
     */
    Container nodeContainer(dev.grid.appliance.ClusterKeys keys, String node) {
        return docker.list(Map.of("grid.app", keys.app(), "grid.type", node)).stream()
                .filter(c -> c.running() && c.labels().getOrDefault("grid.host", "").startsWith(id + "-")).findFirst()
                .orElseThrow(() -> new AssertionError("no running container for " + node));
    }

    /** The status line of a GET / for {@code host} through the router on 127.0.0.1:{@code port}. */
    static String statusLine(int port, String host) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        }
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
        // Whatever fails while stopping, the containers and volumes this cluster made still go.
        try {
            if (archiver != null) archiver.close();
            if (git != null) {
                try {
                    git.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            managers.forEach(Manager::close);
            scheduler.close();
            controller.close();
            blobs.close();
            routerLogs.close();
            router.close();
            metricsServer.close();
            metrics.close();
            hosts.forEach(h -> h.stop(true)); // an agent the test stopped already is left as it is
            drains.close();
            verifier.close();
        } finally {
            for (Container c : docker.list(Map.of("grid.managed", "true"))) {
                if (c.labels().getOrDefault("grid.host", "").startsWith(id + "-")) docker.remove(c.id(), 1);
            }
            // A host the test let die (stop without its jobs) leaves its firewall, as a crashed host does.
            for (HostAgent h : hosts) {
                try {
                    new ProcessBuilder("nft", "delete", "table", "inet", dev.grid.host.FirewallRules.tableName(h.config().hostId()))
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
                } catch (IOException | InterruptedException ignored) {
                    // nothing more to clean
                }
            }
            for (var e : store.list(dev.grid.store.Keys.APPS).entries()) {
                for (Container c : docker.list(Map.of("grid.build", e.name()))) docker.remove(c.id(), 0);
            }
            docker.removeVolumes(Map.of("grid.managed", "true"), v -> v.startsWith("grid-" + id));
            // The slug base images of this cluster's apps (one per app UID; the root one is shared).
            for (String tag : docker.tags(dev.grid.host.SlugProcess.BASE)) {
                int uid = dev.grid.host.SlugProcess.baseUid(tag).orElse(-1);
                if (uid >= uidMin && uid <= uidMax) docker.removeImageIfUnused(dev.grid.host.SlugProcess.BASE + ":" + tag);
            }
            for (var e : store.list(dev.grid.appliance.ClusterKeys.ROOT).entries()) {
                if (!e.key().endsWith("/spec")) continue;
                var spec = e.as(dev.grid.appliance.ClusterSpec.class);
                store.users().remove(dev.grid.appliance.Clusters.keeperUser(store, spec.keys()));
            }
            store.deletePrefix("");
            store.close();
            dev.grid.testing.TestDirs.delete(stateDir); // its builder's cache, blobs and hosts' files: about 1 GB a cluster, 900 of them had piled up in /tmp
        }
    }
}
