package dev.grid.host;

import dev.grid.net.Listeners;
import dev.grid.net.NftTable;
import dev.grid.core.HostInfo;
import dev.grid.core.Instance;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.discovery.Discovery;
import dev.grid.core.App;
import dev.grid.core.GridEndpoint;
import dev.grid.store.CoalescedTask;
import dev.grid.store.Credentials;
import dev.grid.store.Keys;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.store.StoreMirror;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per machine. Registers the host under a lease, and converges this host's
 * containers to the jobs the scheduler assigned it (jobs/HOST/...): starts what is
 * missing, replaces what the scheduler restarted, removes what is no longer
 * assigned, reports every state change (status/JOB) and registers running jobs
 * with discovery once their port accepts connections. Containers carry labels, so
 * a restarted agent adopts the ones that still run instead of starting them again.
 */
public final class HostAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostAgent.class);
    static final String LABEL_MANAGED = "grid.managed";
    static final String LABEL_HOST = "grid.host";
    static final String LABEL_JOB = "grid.job";
    static final String LABEL_ATTEMPT = "grid.attempt";
    static final String LABEL_PORT = "grid.port";
    static final String WEB = "web";
    /** A config var: the path a web job must answer with 2xx/3xx before it counts as up and gets traffic. */
    public static final String HEALTHCHECK = "GRID_HEALTHCHECK_PATH";
    private static final java.net.http.HttpClient HEALTH_HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1)).build();

    private final Store store;
    private final Docker docker;
    private final HostConfig config;
    private final Discovery discovery;
    private final Slugs slugs;
    private final ImageArchives.Loader images;
    private final CoalescedTask loop;
    /** Housekeeping (destroyed apps' volumes, stale slug bases) on its own clock, not the rounds'. */
    private final CoalescedTask chores;
    /** Starting jobs' readiness checks, off the reconcile thread. */
    private final Probes probes;
    private final Map<String, JobStatus> reported = new ConcurrentHashMap<>();
    /** The jobs this agent has registered with discovery, and how. */
    private final Map<String, Instance> registered = new ConcurrentHashMap<>();
    /**
     * A round when nothing asked for one: everything that changes asks (this host's jobs from their
     * watch, Docker's events, readiness checks, starts and stops ending, the lease lost, and a time
     * something is due), so this is a safety net. Every round lists the host's containers, which
     * costs dockerd about 28 ms of CPU with 300 of them (bench/scale.sh): once a second that was
     * 2.8 % of a core on an idle host.
     */
    static final Duration SAFETY_TICK = Duration.ofSeconds(10);
    private static final Duration TRASH_CHECK = Duration.ofSeconds(5);
    private long nextTrashCheck;
    private static final Duration BASE_CHECK = Duration.ofMinutes(1);
    private long nextBaseCheck;
    /** Deleted-volume requests this host has carried out. */
    private final Set<String> cleaned = ConcurrentHashMap.newKeySet();
    /** Jobs taken away from this host, out of discovery, and when they may be stopped. Reconcile thread only. */
    private Map<String, Instant> draining = Map.of();
    /** Jobs whose start or stop runs on {@link #actions}. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    /** Ports given to starts under way, whose containers may not be listed yet. */
    private final Set<Integer> reservedPorts = ConcurrentHashMap.newKeySet();
    /** Inspections of the containers seen, by container id. Reconcile thread only. */
    private final Map<String, Inspected> inspections = new HashMap<>();
    /**
     * Containers Docker said died (its "die" event), by when: its listing may still call such a
     * container running for a moment after the event, and a round that saw that would otherwise
     * wait for the safety tick to see the crash. While the listing lags, the agent looks again soon.
     */
    private final Map<String, Long> died = new ConcurrentHashMap<>();
    private static final Duration DIED_RECHECK = Duration.ofMillis(100);
    private static final Duration DIED_MEMORY = Duration.ofSeconds(10);
    /** Starts, stops and housekeeping: Docker calls that could take long, off the reconcile thread. */
    private final java.util.concurrent.ExecutorService actions = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "host-actions");
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.atomic.AtomicBoolean housekeeping = new java.util.concurrent.atomic.AtomicBoolean();
    /** This host's jobs, from one watch: a round reads no etcd. */
    private StoreMirror jobs;
    private Closeable dockerEvents;
    private volatile Lease lease;
    private volatile LogServer logServer;
    private volatile AttachServer attachServer;
    /** Attached runs whose caller attached: never a second time. Forgotten with their jobs. */
    private final Set<String> attachedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Credentials.Verifier verifier;
    private HostFirewall firewall;
    private final NftTable table;
    /** This host's credential for the blob store, issued under its lease. */
    private volatile String token;
    private volatile boolean closed;

    public HostAgent(Store store, Docker docker, HostConfig config) {
        this(store, docker, config, NftTable.forHost(config.hostId()));
    }

    /** A host agent whose firewall is its part of {@code table}, the table it shares with this host's router. */
    public HostAgent(Store store, Docker docker, HostConfig config, NftTable table) {
        this.table = table;
        this.store = store;
        this.docker = docker;
        this.config = config;
        this.discovery = new Discovery(store);
        this.slugs = new Slugs(config.stateDir().resolve("slugs"), () -> token);
        this.images = new ImageArchives.Loader(store, docker, () -> token);
        this.loop = new CoalescedTask("host-" + config.hostId(), this::reconcile);
        this.chores = new CoalescedTask("host-chores-" + config.hostId(), this::housekeeping);
        this.probes = new Probes(4, this::requestReconcile);
    }

    public HostConfig config() {
        return config;
    }

    /** Follows this host's jobs' output for their apps' log drains (call before {@link #start}). */
    public HostAgent drains(dev.grid.drains.Drains drains) {
        this.drainFeeds = new DrainFeeds(docker, drains);
        drains.onChange(this::requestReconcile);
        return this;
    }

    private volatile DrainFeeds drainFeeds;

    public synchronized HostAgent start() throws IOException {
        docker.verify();
        refuseIfRemoved();
        if (config.isolation()) {
            String why = dev.grid.net.Nft.unusable();
            if (why != null) throw new IllegalStateException("nftables cannot be used here (" + why + "): install nftables "
                    + "(apt-get install nftables), or set GRID_ISOLATION=off to run apps without the host firewall");
        } else {
            log.warn("host {}: GRID_ISOLATION=off: app processes and builds can reach etcd, the API, data nodes and other apps' jobs", config.hostId());
        }
        verifier = new Credentials.Verifier(store);
        logServer = new LogServer(config.address(), config.apiPort(), this::currentContainer, docker, verifier);
        attachServer = new AttachServer(config.address(), docker, verifier, this::attachable);
        register();
        dropHandedOver();
        // The firewall is in place before any job of this host starts.
        if (config.isolation()) firewall = new HostFirewall(store, config, this::info, table).start();
        jobs = new StoreMirror(store, List.of(Keys.hostJobs(config.hostId())), this::requestReconcile);
        // Followed across a restart of dockerd (its containers live on: live-restore); once back, every container is looked at again.
        dockerEvents = docker.events(Map.of(LABEL_HOST, config.hostId()), Duration.ofSeconds(1), event -> {
            if ("die".equals(event.action())) died.put(event.containerId(), System.nanoTime());
            requestReconcile();
        }, () -> {
            log.info("host {}: the Docker engine is back; following its events again", config.hostId());
            requestReconcile();
        });
        loop.every(SAFETY_TICK);
        chores.every(TRASH_CHECK);
        log.info("host {} at {} is up (ports {}-{}, API {})", config.hostId(), config.address(), config.portMin(), config.portMax(), logServer.url());
        return this;
    }

    /**
     * A host an operator removed ({@code grid hosts:remove}) never comes back under its id: its
     * jobs, data nodes included, were made again elsewhere. What it still runs of them is stopped
     * (their volumes stay, for an operator who wants to look at them) and the agent refuses to start.
     */
    private void refuseIfRemoved() {
        if (store.get(Keys.removedHost(config.hostId())).isEmpty()) return;
        List<Docker.Container> left = docker.list(Map.of(LABEL_HOST, config.hostId()));
        for (Docker.Container c : left) docker.remove(c.id(), 10);
        throw new IllegalStateException("host " + config.hostId() + " was removed from this Grid (grid hosts:remove), and its jobs run elsewhere now"
                + (left.isEmpty() ? "" : "; its " + left.size() + " container(s) left here were stopped and removed, their volumes kept")
                + ". Start this machine under a new host id (GRID_HOST_ID) to add it again");
    }

    private void handOver(Duration handover) {
        try {
            Lease grace = store.lease(handover.toSeconds());
            java.nio.file.Files.writeString(java.nio.file.Files.createDirectories(config.stateDir()).resolve(HANDOVER_FILE), grace.id() + "\n");
            store.put(Keys.host(config.hostId()), info(), grace.id());
            for (Instance i : registered.values()) discovery.register(i, grace.id());
            grace.close(); // not renewed: it ends on its own if no agent comes back
            log.info("host {}: {} job registration(s) handed over for {} s to the next start", config.hostId(), registered.size(), handover.toSeconds());
        } catch (RuntimeException | IOException e) {
            log.warn("host {}: registrations not handed over ({}): routers stop sending to its jobs until it is back", config.hostId(), e.toString());
        }
    }

    /** Registrations a restart handed over (see {@link #stop(boolean, Duration)}) of jobs that no longer run here go now; the rest the reconcile takes over. */
    private void dropHandedOver() {
        java.nio.file.Path file = config.stateDir().resolve(HANDOVER_FILE);
        try {
            if (!java.nio.file.Files.exists(file)) return;
            long grace = Long.parseLong(java.nio.file.Files.readString(file).trim());
            Set<String> running = new java.util.HashSet<>();
            for (Docker.Container c : docker.list(Map.of(LABEL_HOST, config.hostId()))) {
                if (c.running()) running.add(c.label(LABEL_JOB));
            }
            int dropped = 0;
            for (dev.grid.store.Entry e : store.list(Keys.SERVICES).entries()) {
                if (e.lease() != grace || !e.key().contains("/instances/")) continue;
                Instance i = e.as(Instance.class);
                if (config.hostId().equals(i.hostId()) && !running.contains(i.jobId())) {
                    store.delete(e.key());
                    dropped++;
                }
            }
            java.nio.file.Files.delete(file);
            if (dropped > 0) log.info("host {}: dropped {} handed-over registration(s) of jobs that stopped meanwhile", config.hostId(), dropped);
        } catch (RuntimeException | IOException e) {
            log.warn("host {}: handed-over registrations not checked ({}): they end with their lease", config.hostId(), e.toString());
        }
    }

    private void register() {
        lease = store.lease(config.leaseTtlSeconds()).onLost(this::requestReconcile);
        registered.clear();
        token = Credentials.issue(store, "host-" + config.hostId(), lease.id());
        store.put(Keys.host(config.hostId()), info(), lease.id());
        GridEndpoint.register(store, lease.id(), new GridEndpoint("logs of host " + config.hostId(), config.address(), logServer.port()));
        GridEndpoint.register(store, lease.id(), new GridEndpoint("run sessions of host " + config.hostId(), config.address(), attachServer.port()));
    }

    private HostInfo info() {
        return new HostInfo(config.hostId(), config.address(), config.portMin(), config.portMax(),
                config.memoryMb(), config.tags(), logServer.url(), config.memoryOvercommit(), config.address() + ":" + attachServer.port());
    }

    public void requestReconcile() {
        if (!closed) loop.request();
    }

    /**
     * One round: gather what {@link Convergence} decides from, decide, carry the plan out. Starts
     * and stops run on {@link #actions}, beside this loop: one job's slow slug fetch or stop grace
     * delays no other job; the job is left alone ({@code busy}) until its action ends.
     */
    private void reconcile() {
        if (closed) return;
        if (!lease.isAlive()) {
            log.warn("host {}: lease lost; registering again", config.hostId());
            register();
        }
        Map<String, JobSpec> desired = new HashMap<>();
        for (JobSpec spec : jobs.values(Keys.hostJobs(config.hostId()), JobSpec.class)) desired.put(spec.id(), spec);
        attachedOnce.retainAll(desired.keySet());
        // Read before the containers are listed: an action that ends after the listing still counts as under way,
        // and a port it reserved as taken, so nothing is started twice.
        Set<String> busyNow = Set.copyOf(busy);
        Set<Integer> usedPorts = new HashSet<>(reservedPorts);
        Map<String, JobStatus> reportedNow = Map.copyOf(reported);
        List<Convergence.Seen> seen = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Docker.Container c : docker.list(Map.of(LABEL_HOST, config.hostId()))) {
            seen.add(new Convergence.Seen(c, inspection(c)));
            ids.add(c.id());
        }
        inspections.keySet().retainAll(ids);
        if (stillRunningAfterDying(seen)) loop.requestAfter(DIED_RECHECK.toMillis());
        usedPorts.addAll(Convergence.usedPorts(seen));
        Convergence.Plan plan = Convergence.decide(new Convergence.Input(config.hostId(), config.address(), desired, seen,
                reportedNow, registered, draining, busyNow, probes.snapshot(), Instant.now()));
        draining = plan.draining();
        DrainFeeds feeds = drainFeeds;
        if (feeds != null) feeds.follow(runningJobs(seen, desired));
        RuntimeException failed = null;
        int failures = 0;
        for (Convergence.Action action : plan.actions()) {
            try {
                carryOut(action, usedPorts);
            } catch (RuntimeException e) {
                if (failed == null) failed = e;
                failures++;
            }
        }
        // Look again when something is due (a job's port or health check, the end of a back-off or a drain)
        // rather than on the next tick.
        if (plan.wakeAfter() != null) loop.requestAfter(plan.wakeAfter().toMillis());
        if (failed != null) throw new IllegalStateException(failures + " of " + plan.actions().size() + " actions failed; the first: " + failed, failed);
    }

    /** The running containers of this host's jobs, by container id. */
    private static Map<String, JobSpec> runningJobs(List<Convergence.Seen> seen, Map<String, JobSpec> desired) {
        Map<String, JobSpec> running = new HashMap<>();
        for (Convergence.Seen s : seen) {
            JobSpec spec = desired.get(s.container().label(LABEL_JOB));
            if (s.container().running() && spec != null) running.put(s.container().id(), spec);
        }
        return running;
    }

    /** Whether the listing still calls running a container that Docker said died; forgets those it agrees on (or that are old news). */
    private boolean stillRunningAfterDying(List<Convergence.Seen> seen) {
        if (died.isEmpty()) return false;
        Map<String, Boolean> running = new HashMap<>();
        for (Convergence.Seen s : seen) running.put(s.container().id(), s.container().running());
        long now = System.nanoTime();
        died.entrySet().removeIf(e -> !Boolean.TRUE.equals(running.get(e.getKey())) || now - e.getValue() > DIED_MEMORY.toNanos());
        return !died.isEmpty();
    }

    /** What an inspection of the container says in its current state: inspected once per container and state. */
    private Docker.State inspection(Docker.Container c) {
        Inspected known = inspections.get(c.id());
        if (known != null && known.state().equals(c.state())) return known.seen();
        try {
            Docker.State s = docker.inspect(c.id());
            inspections.put(c.id(), new Inspected(c.state(), s));
            return s;
        } catch (Docker.NotFound gone) {
            return null;
        }
    }

    private record Inspected(String state, Docker.State seen) {}

    private void carryOut(Convergence.Action action, Set<Integer> usedPorts) {
        if (action instanceof Convergence.Start a) {
            JobSpec spec = a.spec();
            probes.forget(spec.id()); // what was seen of an earlier container of this job says nothing of this one
            int port = allocatePort(usedPorts);
            if (port < 0) {
                report(spec, JobState.FAILED, null, 0, null, null, Instant.now(),
                        "no free port in " + config.portMin() + "-" + config.portMax() + " on host " + config.hostId());
                return;
            }
            usedPorts.add(port);
            reservedPorts.add(port);
            inBackground(spec.id(), () -> {
                try {
                    start(spec, port);
                } finally {
                    reservedPorts.remove(port);
                }
            });
        } else if (action instanceof Convergence.Remove a) {
            probes.forget(a.job());
            inBackground(a.job(), () -> {
                for (Docker.Container c : a.containers()) docker.remove(c.id(), 10);
            });
        } else if (action instanceof Convergence.Check a) {
            probes.check(a.spec().id(), a.target(), () -> readiness(a.spec(), a.port(), a.healthPath()));
        } else if (action instanceof Convergence.Register a) {
            discovery.register(a.instance(), lease.id());
            registered.put(a.instance().jobId(), a.instance());
            probes.forget(a.instance().jobId());
        } else if (action instanceof Convergence.Deregister a) {
            probes.forget(a.instance().jobId());
            if (registered.remove(a.instance().jobId()) != null) discovery.deregister(a.instance().service(), a.instance().jobId());
        } else if (action instanceof Convergence.Report a) {
            report(a.status());
        } else if (action instanceof Convergence.Forget a) {
            probes.forget(a.job());
            reported.remove(a.job());
            store.delete(Keys.status(a.job()));
        } else {
            throw new IllegalArgumentException("no way to carry out " + action);
        }
    }

    /** Runs a job's start or stop on {@link #actions}; the job counts as busy until it ends, and then is looked at again. */
    private void inBackground(String job, Runnable work) {
        busy.add(job);
        try {
            actions.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    log.warn("host {}: job {}: {}", config.hostId(), job, e.toString());
                } finally {
                    busy.remove(job);
                    requestReconcile();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            busy.remove(job);
            throw new IllegalStateException("host " + config.hostId() + " is stopping: job " + job + " is left as it is");
        }
    }

    /** Collecting destroyed apps' volumes and stale slug images, beside the loop, one at a time. */
    private void housekeeping() {
        long now = System.nanoTime();
        boolean volumes = now >= nextTrashCheck;
        boolean bases = now >= nextBaseCheck;
        if (!(volumes || bases) || !housekeeping.compareAndSet(false, true)) return;
        if (volumes) nextTrashCheck = now + TRASH_CHECK.toNanos();
        if (bases) nextBaseCheck = now + BASE_CHECK.toNanos();
        try {
            actions.execute(() -> {
                try {
                    if (volumes) removeDeletedVolumes();
                    if (bases) removeStaleSlugBases();
                } catch (RuntimeException e) {
                    log.warn("host {}: housekeeping: {}", config.hostId(), e.toString());
                } finally {
                    housekeeping.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            housekeeping.set(false);
        }
    }

    /**
     * Volumes of apps destroyed with their data ({@link Keys#DELETED_VOLUMES}): removed here once
     * none of the app's containers is left on this host.
     */
    private void removeDeletedVolumes() {
        for (var e : store.list(Keys.DELETED_VOLUMES).entries()) {
            String app = e.name();
            if (cleaned.contains(e.key() + "@" + e.modRevision()) || store.get(Keys.app(app)).isPresent()) continue;
            // Containers still stopping keep their volumes in use: the next check tries again.
            if (!docker.list(Map.of(LABEL_HOST, config.hostId(), "grid.app", app)).isEmpty()) continue;
            try {
                docker.removeVolumes(Map.of(LABEL_MANAGED, "true", LABEL_HOST, config.hostId(), "grid.app", app), v -> true);
                cleaned.add(e.key() + "@" + e.modRevision());
            } catch (RuntimeException inUse) {
                log.warn("host {}: cannot remove the volumes of destroyed app {} yet: {}", config.hostId(), app, inUse.toString());
            }
        }
    }

    /** The {@link SlugProcess#base} images of destroyed apps, removed once no container uses them. */
    private void removeStaleSlugBases() {
        try {
            removeSlugBasesOfGoneApps();
            // Fetched slugs no kept release and no job names any more (Retention): the host's cache would only grow.
            var kept = dev.grid.core.Retention.of(store.values(Keys.RELEASES, dev.grid.core.Release.class), store.values(Keys.JOBS, JobSpec.class));
            int pruned = slugs.prune(kept.slugUrls(), Instant.now());
            if (pruned > 0) log.info("host {}: removed {} fetched slug(s) no kept release or job names", config.hostId(), pruned);
            // Images of Dockerfile builds this host loaded from the blob store: collected as on the builder's machine.
            ImageCollection.collect(docker, kept, dev.grid.core.Retention.BUILT_IMAGES, Instant.now());
        } catch (RuntimeException | IOException e) {
            log.warn("host {}: cannot clean up slug base images or fetched slugs (tried again in {}): {}", config.hostId(), BASE_CHECK, e.toString());
        }
    }

    private void removeSlugBasesOfGoneApps() {
        List<String> tags = docker.tags(SlugProcess.BASE);
        if (tags.isEmpty()) return;
        Map<Integer, String> claims = new HashMap<>();
        for (var e : store.list(Keys.UID_CLAIMS).entries()) {
            try {
                claims.put(Integer.parseInt(e.name()), e.as(String.class));
            } catch (RuntimeException notAUid) {
                // not a claim this code wrote
            }
        }
        Set<String> apps = new HashSet<>();
        for (var e : store.list(Keys.APPS).entries()) apps.add(e.name());
        for (String tag : SlugProcess.staleBases(tags, claims, apps)) {
            if (docker.removeImageIfUnused(SlugProcess.BASE + ":" + tag)) log.info("host {}: removed {}:{}, its app is gone", config.hostId(), SlugProcess.BASE, tag);
        }
    }

    /** Starts the job's container on {@code port} (on {@link #actions}); what goes wrong is reported as the job's FAILED state. */
    private void start(JobSpec spec, int port) {
        // An image built or loaded on another machine comes from the blob store (ImageArchiver stores them).
        try {
            ImageArchives.Loader.Loaded loaded = images.ensure(spec.image());
            if (loaded != null) log.info("host {}: loaded image {} from the blob store: {} of its {} layer(s) sent, {} MiB",
                    config.hostId(), spec.image(), loaded.layersSent(), loaded.layers(), loaded.bytesSent() >> 20);
        } catch (IOException e) {
            report(spec, JobState.FAILED, null, 0, null, null, Instant.now(), e.getMessage() + " (host " + config.hostId() + ")");
            return;
        }
        Integer appUid = App.isSystem(spec.app()) ? null : store.get(Keys.app(spec.app()), App.class).map(App::uid).orElse(null);
        Sandbox sandbox = Sandbox.of(spec, appUid).orElse(null);
        if (sandbox == null) {
            report(spec, JobState.FAILED, null, 0, null, null, Instant.now(),
                    "app " + spec.app() + " has no UID of its own yet (a controller gives it one when it starts)");
            return;
        }
        int uid = sandbox.uid();
        Map<String, String> env = new HashMap<>(spec.env());
        // Grid's own apps' secrets (a keeper's etcd user) reach their data nodes only: never a release, a one-off or the API.
        if (Sandbox.getsAppSecrets(spec)) {
            store.get(Keys.appSecrets(spec.app()), Map.class).ifPresent(s -> s.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v))));
        }
        env.put("PORT", String.valueOf(port));
        env.put("GRID_JOB_ID", spec.id());
        env.put("GRID_HOST_ID", config.hostId());
        env.put("GRID_HOST_ADDRESS", config.address());
        Map<String, String> labels = Map.of(LABEL_MANAGED, "true", LABEL_HOST, config.hostId(), LABEL_JOB, spec.id(),
                LABEL_ATTEMPT, String.valueOf(spec.attempt()), LABEL_PORT, String.valueOf(port),
                "grid.app", spec.app(), "grid.type", spec.type());
        List<Docker.Mount> binds = new ArrayList<>();
        for (var v : spec.volumes()) {
            String volume = Convergence.volume(config.hostId(), v.name());
            docker.ensureVolume(volume, Map.of(LABEL_MANAGED, "true", LABEL_HOST, config.hostId(), "grid.app", spec.app()));
            // An app's process writes its volume as its own user: the volume's top directory is its.
            if (uid != 0) docker.giveVolume(volume, uid, spec.image());
            binds.add(Docker.bind(volume, v.path()));
        }
        List<String> command = List.of("/bin/sh", "-c", spec.command());
        String image = spec.image();
        if (spec.slugUrl() != null) {
            try {
                binds.add(SlugProcess.bind(slugs.tarball(spec.slugUrl())));
                image = SlugProcess.base(docker, spec.image(), uid);
            } catch (IOException e) {
                report(spec, JobState.FAILED, null, 0, null, null, Instant.now(), "cannot fetch slug " + spec.slugUrl() + ": " + e.getMessage());
                return;
            }
            SlugProcess.env(env, spec.type() + "." + spec.id().substring(spec.id().lastIndexOf('-') + 1), spec.command());
            command = SlugProcess.command();
        }
        String name = "grid-" + config.hostId() + "-" + spec.id() + "-" + spec.attempt();
        // Stopping: a container made now would outlive the agent and keep its volumes in use.
        if (closed) return;
        try {
            if (spec.attached() != null) {
                // Started by its caller's attach (AttachServer), so that none of its output is missed.
                String id = docker.create(new Docker.ContainerSpec(name, image, command, env, labels, sandbox, binds, List.of(), null, spec.attached()));
                report(spec, JobState.STARTING, id, port, null, null, null, Convergence.AWAITING_CALLER);
                log.info("host {}: made job {} ({} run) for its caller to attach", config.hostId(), spec.id(), spec.app());
                return;
            }
            String id = docker.run(new Docker.ContainerSpec(name, image, command, env, labels, sandbox, binds, List.of()));
            report(spec, JobState.STARTING, id, port, null, Instant.now(), null, WEB.equals(spec.type()) ? "waiting for port " + port : null);
            log.info("host {}: started job {} ({} {}) attempt {} on port {}", config.hostId(), spec.id(), spec.app(), spec.type(), spec.attempt(), port);
        } catch (RuntimeException e) {
            report(spec, JobState.FAILED, null, port, null, null, Instant.now(), "cannot start container: " + e.getMessage());
        }
    }

    private int allocatePort(Set<Integer> used) {
        for (int p = config.portMin(); p <= config.portMax(); p++) {
            if (used.contains(p)) continue;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(config.address(), p));
                return p;
            } catch (IOException taken) {
                // something outside Grid holds it
            }
        }
        return -1;
    }

    /**
     * Null if only the job's app listens on its port; else who else does. Another app that bound
     * the port first would get the job's traffic: the job is not registered while it holds it.
     */
    private String squatter(JobSpec spec, int port) {
        Integer uid = store.get(Keys.app(spec.app()), App.class).map(App::uid).orElse(null);
        Set<Integer> owners = Listeners.owners(port);
        owners.remove(uid);
        return owners.isEmpty() ? null : "port " + port + " is also held by UID " + owners + ", not this app's: no traffic until it lets go";
    }

    /** Null once the job may get traffic: its port accepts, no other UID holds it, its health check (if any) passes; else why not. */
    private String readiness(JobSpec spec, int port, String healthPath) {
        if (!accepts(port)) return "waiting for port " + port;
        String squatter = App.isSystem(spec.app()) ? null : squatter(spec, port);
        if (squatter != null) return squatter;
        return healthPath == null ? null : healthProblem(port, healthPath);
    }

    /** Null if GET path answers 2xx or 3xx within a second; else what it answered. */
    private String healthProblem(int port, String path) {
        try {
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + config.address() + ":" + port + path))
                    .timeout(Duration.ofSeconds(1)).build();
            int status = HEALTH_HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            return status < 400 ? null : "health check " + path + " answered HTTP " + status;
        } catch (IOException | IllegalArgumentException e) {
            return "health check " + path + " failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(config.address(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void report(JobSpec spec, JobState state, String containerId, int port, Integer exitCode,
                        Instant started, Instant finished, String message) {
        report(new JobStatus(spec.id(), config.hostId(), state, spec.attempt(), containerId, port, exitCode, started, finished, message));
    }

    private void report(JobStatus status) {
        if (!status.equals(reported.get(status.jobId()))) {
            store.put(Keys.status(status.jobId()), status);
            reported.put(status.jobId(), status);
        }
    }

    /**
     * The container of an attached run of this host that its caller may attach to now, or why
     * there is none. Once per run: of two attaches at the same moment, the second is refused.
     */
    private AttachServer.Attachable attachable(String jobId) {
        JobSpec spec = jobs.values(Keys.hostJobs(config.hostId()), JobSpec.class).stream().filter(j -> j.id().equals(jobId)).findFirst()
                .orElseThrow(() -> new IllegalStateException("job " + jobId + " is not on host " + config.hostId()));
        if (spec.attached() == null) throw new IllegalStateException("job " + jobId + " is not an attached run: nothing may attach to it");
        JobStatus s = reported.get(jobId);
        if (s != null && s.state().isDown()) throw new IllegalStateException("job " + jobId + " has ended: " + s.message());
        String container = currentContainer(jobId);
        if (container == null) throw new IllegalStateException("job " + jobId + " has no container on host " + config.hostId() + " yet");
        Docker.State state;
        try {
            state = docker.inspect(container);
        } catch (Docker.NotFound gone) {
            throw new IllegalStateException("job " + jobId + "'s container is gone");
        }
        if (state.startedAt() != null || !attachedOnce.add(jobId)) throw new IllegalStateException("job " + jobId + " has started already: a run is attached once");
        return new AttachServer.Attachable(container, spec.attached() == dev.grid.core.OneOffRun.Stdio.TTY);
    }

    /** The container of the job's current attempt on this host, if any (for logs). */
    String currentContainer(String jobId) {
        JobStatus s = reported.get(jobId);
        if (s != null && s.containerId() != null) return s.containerId();
        return docker.list(Map.of(LABEL_HOST, config.hostId(), LABEL_JOB, jobId)).stream()
                .map(Docker.Container::id).findFirst().orElse(null);
    }

    /** Stops the agent. With {@code stopJobs} its containers are stopped and removed (volumes stay) and its lease revoked; without, they keep running for the next agent to adopt. */
    public synchronized void stop(boolean stopJobs) {
        stop(stopJobs, Duration.ZERO);
    }

    /** How long a restart's registrations outlive the agent that stopped for it (see {@link #stop(boolean, Duration)}). */
    public static final Duration RESTART_HANDOVER = Duration.ofSeconds(60);
    private static final String HANDOVER_FILE = "handover-lease";

    /**
     * As {@link #stop(boolean)}; without {@code stopJobs} and with a {@code handover}, this is a
     * restart (an upgrade): the host's registration and its jobs' registrations with discovery are
     * moved to a lease of that length first, so that routers keep sending traffic to the jobs
     * (which keep running) and schedulers keep the host, while the next agent starts. It takes them
     * over; what it does not run any more it drops at once ({@link #dropHandedOver}).
     */
    public synchronized void stop(boolean stopJobs, Duration handover) {
        // Once only: a second stop must not touch the containers of an agent restarted under the same host id.
        if (closed) return;
        closed = true;
        if (jobs != null) jobs.close();
        if (dockerEvents != null) {
            try {
                dockerEvents.close();
            } catch (IOException ignored) {
                // the event stream is going away anyway
            }
        }
        // A reconcile round may sit in a container's stop grace (10 s); once it ends, no container starts.
        chores.close();
        loop.close(Duration.ofSeconds(60));
        // Starts still queued see `closed` and make nothing; stops under way finish their grace.
        actions.shutdown();
        try {
            if (!actions.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) log.warn("host {}: a start or stop still under way after 60 s", config.hostId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probes.close();
        if (logServer != null) logServer.close();
        if (attachServer != null) attachServer.close();
        if (verifier != null) verifier.close();
        if (stopJobs) {
            // All at once: each job gets its grace period, not the sum of everyone's.
            var stopping = java.util.concurrent.Executors.newFixedThreadPool(16);
            for (Docker.Container c : docker.list(Map.of(LABEL_HOST, config.hostId()))) {
                stopping.execute(() -> {
                    docker.remove(c.id(), 10);
                    store.delete(Keys.status(c.label(LABEL_JOB)));
                });
            }
            stopping.shutdown();
            try {
                stopping.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lease.revoke();
            if (firewall != null) firewall.stop(true); // the jobs are gone: so is their table
        } else {
            if (firewall != null) firewall.stop(false); // jobs that keep running keep their firewall
            if (!handover.isZero() && !handover.isNegative()) handOver(handover);
            lease.close();
        }
        if (drainFeeds != null) drainFeeds.close();
        log.info("host {} stopped{}", config.hostId(), stopJobs ? " with its jobs" : "");
    }

    @Override
    public void close() {
        stop(true);
    }
}
