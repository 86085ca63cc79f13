package dev.grid.server;

import dev.grid.blobs.Blobs;
import dev.grid.builder.ControllerClient;
import dev.grid.builder.GitServer;
import dev.grid.builder.SlugBuilder;
import dev.grid.appliance.Appliance;
import dev.grid.appliance.Manager;
import dev.grid.controller.ApplianceCatalog;
import dev.grid.controller.ControllerConfig;
import dev.grid.controller.ControllerServer;
import dev.grid.core.Json;
import dev.grid.host.Docker;
import dev.grid.host.HostAgent;
import dev.grid.host.HostConfig;
import dev.grid.net.LineServer;
import dev.grid.router.Router;
import dev.grid.router.RouterConfig;
import dev.grid.scheduler.Scheduler;
import dev.grid.core.GridEndpoint;
import dev.grid.net.NftTable;
import dev.grid.core.SecretFile;
import dev.grid.store.Credentials;
import dev.grid.store.Keys;
import dev.grid.store.Lease;
import dev.grid.store.EtcdAccess;
import dev.grid.store.EtcdUsers;
import dev.grid.store.LocalEtcd;
import dev.grid.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Grid process. By default (the embedded single-machine Grid) it starts a local
 * etcd under GRID_HOME and runs the controller, the scheduler and a host agent;
 * GRID_ROLES and GRID_ETCD make it one part of a cluster instead.
 */
public final class GridServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GridServer.class);
    private final List<AutoCloseable> parts = new ArrayList<>();
    private String url;
    private dev.grid.metrics.GridMetrics metrics;
    private int metricsPort = -1;

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        ServerConfig config;
        try {
            config = ServerConfig.fromEnv(env);
        } catch (IllegalArgumentException e) { // a bad setting: its message says which and what to use
            System.err.println("grid: " + e.getMessage());
            System.exit(2);
            return;
        }
        GridServer server = new GridServer();
        Path pidFile = config.home().resolve("grid.pid");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // `grid down` asks for the workloads to stop too (it leaves this file); any other stop
            // (kill -TERM, a service manager restarting Grid, an upgrade) leaves them running.
            boolean workloads = false;
            try {
                workloads = Files.deleteIfExists(config.home().resolve(STOP_WORKLOADS));
            } catch (Exception ignored) {
                // as if not asked
            }
            log.info("stopping Grid{}", workloads ? " and its jobs" : "; its jobs and data nodes keep running for the next start");
            server.stop(workloads);
            try {
                Files.deleteIfExists(pidFile);
            } catch (Exception ignored) {
                // nothing to do
            }
        }, "grid-shutdown"));
        try {
            server.start(config, config.token(env));
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            log.info(server.url == null ? "Grid is ready" : "Grid is ready: API {}", server.url);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // A condition Grid names (nftables missing, a setting that disagrees): one line that says what to do.
            System.err.println("grid: " + e.getMessage());
            System.exit(1);
        } catch (RuntimeException e) {
            log.error("Grid failed to start: {}", e.getMessage(), e);
            System.exit(1);
        }
    }

    public void start(ServerConfig config, String token) throws Exception {
        List<String> endpoints = config.etcdEndpoints();
        EtcdAccess access = config.etcdAccess();
        if (endpoints.isEmpty()) {
            Path etcdPid = config.home().resolve("etcd.pid");
            LocalEtcd etcd = LocalEtcd.adopt(etcdPid, config.localEtcdPort(), config.localEtcdPort() + 1).orElse(null);
            if (etcd != null) {
                // Left running by a Grid that stopped for a restart, or was killed: its keepers never lost it.
                log.info("carrying on with the local etcd on 127.0.0.1:{} (pid {}) that an earlier start left running", config.localEtcdPort(), etcd.pid());
            } else {
                stopLeftoverEtcd(etcdPid);
                log.info("starting local etcd on 127.0.0.1:{} with data in {}", config.localEtcdPort(), config.home().resolve("etcd"));
                etcd = LocalEtcd.start(config.home().resolve("etcd"), config.localEtcdPort(), config.localEtcdPort() + 1);
                Files.writeString(etcdPid, etcd.pid() + "\n");
            }
            parts.add(etcd);
            endpoints = List.of(etcd.clientUrl());
            // Grid's own etcd runs with authentication: its parts sign in as root, keepers as users of their own.
            String password = SecretFile.readOrCreate(config.home().resolve("etcd-password"), () -> SecretFile.randomHex(24));
            if (EtcdUsers.enableAuth(endpoints, password)) log.info("etcd authentication is on; the root password is in {}", config.home().resolve("etcd-password"));
            access = EtcdAccess.password("root", password);
        } else if (!access.authenticated()) {
            log.warn("GRID_ETCD has no GRID_ETCD_USER: Grid assumes that etcd needs no credentials, so anything that reaches it reads every secret");
        }
        Store store = Store.connect(endpoints, config.prefix(), access);
        parts.add(store);
        agreeOnAppUids(store, config);
        // Grid's own ports, for every host's firewall: this process's, under a lease of its own.
        Lease partsLease = store.lease(config.leaseTtlSeconds());
        parts.add(partsLease);
        List<GridEndpoint> own = new ArrayList<>();
        for (String e : endpoints) own.add(GridEndpoint.ofUrl("etcd", e));
        if (config.etcdEndpoints().isEmpty()) own.add(new GridEndpoint("etcd peers", "127.0.0.1", config.localEtcdPort() + 1));
        Credentials.Verifier verifier = new Credentials.Verifier(store);
        parts.add(verifier);
        // This process's meters: each part below records into them, /metrics serves them.
        metrics = new dev.grid.metrics.GridMetrics();
        parts.add(metrics);
        // One Docker client for the roles that run containers (host, builder).
        Docker docker = null;
        if (config.roles().contains("host") || config.roles().contains("builder")) {
            docker = new Docker(config.dockerHost()).verify();
            parts.add(docker);
        }
        if (config.roles().contains("scheduler")) {
            parts.add(new Scheduler(store, config.hostId(), config.leaseTtlSeconds(), Clock.systemUTC()).metrics(metrics).start());
        }
        // The apps' log drains: the host sends its jobs' output, the router its access lines.
        dev.grid.drains.Drains drains = null;
        if (config.roles().contains("host") || config.roles().contains("router")) {
            drains = new dev.grid.drains.Drains(store, javax.net.ssl.SSLContext.getDefault(), dev.grid.drains.Drains.BUFFER, metrics.registry()).start();
            parts.add(drains);
        }
        // This host's one nftables table: the router's kernel TCP routes and the host's app firewall are its two parts.
        NftTable table = NftTable.forHost(config.hostId());
        if (config.roles().contains("router")) {
            Router router = new Router(store, config.routerConfig(), table, metrics.registry()).start();
            router.accessLog().drainTo(drains);
            parts.add(router);
            parts.add(announceRouter(store, partsLease.id(), router, config.hostId(), config.hostAddress(), verifier));
            // Apps may reach these (they are the public face), but no TCP route may take their ports.
            GridEndpoint.registerPublic(store, partsLease.id(), GridEndpoint.bound("the router's HTTP", config.routerAddress(), router.httpPort(), config.hostAddress()));
            if (router.httpsPort() > 0) {
                GridEndpoint.registerPublic(store, partsLease.id(), GridEndpoint.bound("the router's HTTPS", config.routerAddress(), router.httpsPort(), config.hostAddress()));
            }
        }
        // The blob store (slugs, keeper programs, backups) lives with the controller and the builder.
        Blobs blobs = null;
        if (config.roles().contains("controller") || config.roles().contains("builder")) {
            blobs = new Blobs(config.home().resolve("blobs"), config.blobAddress(), config.blobPort(), verifier);
            parts.add(blobs);
            own.add(GridEndpoint.bound("blob store", config.blobAddress(), blobs.port(), config.hostAddress()));
        }
        List<Appliance> appliances = Appliances.installed();
        if (config.roles().contains("appliances")) {
            for (Appliance a : appliances) parts.add(new Manager(store, a.name(), a.failover(), config.hostId(), config.nodeReplaceAfter()).metrics(metrics).start());
        }
        if (config.roles().contains("controller")) {
            ControllerServer controller = ControllerServer.start(store,
                    new ControllerConfig(token, config.domain(), config.tcpPortMin(), config.tcpPortMax(),
                            config.roles().contains("builder") ? "ssh://git@" + config.apiAddress() + ":" + config.sshPort() + "/" : null,
                            config.addonHost(), config.stackImage(), config.appUidMin(), config.appUidMax(), config.keeperJavaOptions()),
                    new ApplianceCatalog(appliances, blobs, config.hostAddress()), metrics, config.apiAddress(), config.apiPort());
            parts.add(controller);
            url = controller.url();
            own.add(GridEndpoint.bound("API", config.apiAddress(), java.net.URI.create(url).getPort(), config.hostAddress()));
            Path cliConfig = config.home().resolve("cli.json");
            Files.deleteIfExists(cliConfig);
            SecretFile.write(cliConfig, Json.write(Map.of("url", url, "token", token)));
        }
        if (config.roles().contains("builder")) {
            String api = url != null ? url : System.getenv("GRID_API_URL");
            if (api == null) throw new IllegalArgumentException("the builder role needs the controller: run it with the controller role or set GRID_API_URL");
            SlugBuilder builder = new SlugBuilder(docker, config.stackImage(), config.home().resolve("builder"), blobs,
                    new ControllerClient(api, token), config.domain(), Duration.ofSeconds(120), config.buildLimits()).metrics(metrics.registry());
            GitServer git = new GitServer(store, config.home(), config.apiAddress(), config.sshPort(), builder).start();
            parts.add(git);
            own.add(GridEndpoint.bound("git over SSH", config.apiAddress(), git.port(), config.hostAddress()));
            // The images this machine's Dockerfile builds made, once no kept release or job runs them.
            parts.add(dev.grid.host.ImageCollection.start(store, docker, COLLECT_EVERY));
            // Kept images on this machine, stored in the blob store so that any host can run their jobs.
            if (blobs != null) parts.add(new dev.grid.host.ImageArchiver(store, docker, blobs, ARCHIVE_EVERY));
        }
        if (blobs != null) {
            // Slugs no release among an app's last ten names, from this machine's blob store.
            parts.add(dev.grid.controller.domain.SlugCollector.start(store, blobs, COLLECT_EVERY));
        }
        if (config.metricsPort() >= 0) {
            dev.grid.metrics.MetricsServer served = new dev.grid.metrics.MetricsServer(config.hostAddress(), config.metricsPort(), metrics, store);
            parts.add(served);
            metricsPort = served.port();
            own.add(new GridEndpoint("metrics", config.hostAddress(), served.port()));
            log.info("metrics for Prometheus on http://{}:{}/metrics (the scrape token from 'grid metrics:token' opens it)", config.hostAddress(), served.port());
        }
        for (GridEndpoint e : own) GridEndpoint.register(store, partsLease.id(), e);
        // The host agent last: the jobs it starts (appliance nodes run a JVM each) compete for CPU,
        // and the API and router should be up first.
        if (config.roles().contains("host")) {
            // Closing the agent stops its jobs and keeps every volume: what `grid down` promises.
            parts.add(new HostAgent(store, docker, new HostConfig(config.hostId(), config.hostAddress(), config.portMin(), config.portMax(),
                    config.memoryMb(), config.hostTags(), config.leaseTtlSeconds(), 0, config.dockerHost(), config.home().resolve("host"),
                    config.appUidMin(), config.appUidMax(), config.isolation(), config.memoryOvercommit()), table).drains(drains).start());
        }
    }

    /**
     * App UIDs are given by the controller and judged by every host's firewall: all machines of a
     * Grid must use one range. The first to start records it; a machine set up otherwise refuses to start.
     */
    private static void agreeOnAppUids(Store store, ServerConfig config) {
        String mine = config.appUidMin() + "-" + config.appUidMax();
        store.txn().ifUnchanged(Keys.APP_UIDS, 0).put(Keys.APP_UIDS, mine).commit();
        String recorded = store.get(Keys.APP_UIDS).map(e -> e.value()).orElse(mine);
        if (!recorded.equals(mine)) throw new IllegalArgumentException("GRID_APP_UIDS is " + mine + " here, but this Grid gives apps UIDs "
                + recorded + ": set GRID_APP_UIDS=" + recorded);
    }

    /** An etcd left running by a Grid that was killed would hold the port and the data directory. */

    /**
     * Says in {@code routers/HOST} that this host runs a router, and serves its access lines to
     * Grid's parts (the controller's {@code grid logs}) on a port of their own, registered as one of
     * Grid's so that every host's firewall keeps apps from it. Close the result with the router.
     */
    static LineServer announceRouter(Store store, long leaseId, Router router, String hostId, String hostAddress, Credentials.Verifier verifier)
            throws java.io.IOException {
        LineServer logs = new LineServer("router-logs", hostAddress, 0, verifier, router.accessLog().served());
        GridEndpoint.register(store, leaseId, new GridEndpoint("the router's access lines", hostAddress, logs.port()));
        store.put(Keys.ROUTERS + hostId, Map.of("host", hostId, "address", hostAddress, "tcpDatapath", router.tcpDatapath(), "logsUrl", logs.url()), leaseId);
        return logs;
    }
    private static void stopLeftoverEtcd(Path pidFile) throws Exception {
        if (!Files.exists(pidFile)) return;
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(pid).filter(p -> p.info().command().map(c -> c.endsWith("etcd")).orElse(false)).ifPresent(p -> {
            log.warn("stopping etcd (pid {}) left over from an earlier Grid", pid);
            p.destroy();
            p.onExit().join();
        });
        Files.delete(pidFile);
    }

    /** This process's meters (null before {@link #start}). */
    public dev.grid.metrics.GridMetrics metrics() {
        return metrics;
    }

    /** Where GRID_METRICS_PORT's /metrics listens, or -1 without it. */
    public int metricsPort() {
        return metricsPort;
    }

    /** How often old slugs and build images are collected. */
    private static final Duration COLLECT_EVERY = Duration.ofMinutes(10);
    private static final Duration ARCHIVE_EVERY = Duration.ofMinutes(2);

    /** What {@code grid down} leaves in GRID_HOME before it signals the server: stop the workloads too. */
    public static final String STOP_WORKLOADS = "stop-workloads";

    /** Stops everything: the jobs, the kernel routes and the local etcd too (what {@code grid down} does). */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops Grid. With {@code workloads} everything it runs stops. Without, the host's containers,
     * its nftables table (the app firewall, the kernel TCP routes) and the local etcd keep running,
     * so that apps keep their add-ons and data nodes keep their keepers' etcd: the next start adopts
     * them all (containers by their labels, etcd by its pid) and rebuilds the table from etcd.
     */
    public void stop(boolean workloads) {
        List<AutoCloseable> reversed = new ArrayList<>(parts);
        Collections.reverse(reversed);
        for (AutoCloseable part : reversed) {
            try {
                if (workloads) part.close();
                else if (part instanceof HostAgent h) h.stop(false, HostAgent.RESTART_HANDOVER); // a restart: routers keep its jobs meanwhile
                else if (part instanceof Router r) r.close(false);
                else if (!(part instanceof LocalEtcd)) part.close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
            }
        }
        parts.clear();
    }
}
