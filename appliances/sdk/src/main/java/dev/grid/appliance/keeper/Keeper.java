package dev.grid.appliance.keeper;

import dev.grid.appliance.Role;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Datastore;
import dev.grid.appliance.Datastore.Observation;
import dev.grid.appliance.NodeConfig;
import dev.grid.appliance.NodeReport;
import dev.grid.core.Instance;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs in each data node's container beside the datastore. It reads the cluster state
 * the manager owns and converges the local datastore to this node's part in it —
 * primary, replica of the primary, or stopped — and reports what the node is under a
 * short lease, so that a dead node's report vanishes within {@link #TTL_SECONDS}.
 *
 * <p>A primary registers itself as the one instance of the cluster's service; that is
 * what the cluster's leader-routed TCP route sends clients to. A node that is not the
 * primary of the current generation never takes writes: it stops its datastore first.
 */
public final class Keeper implements AutoCloseable {
    public static final long TTL_SECONDS = 2;
    static final long RENEW_MILLIS = 500;
    private static final long TICK_MILLIS = 300;
    /** How often the keeper looks for re-issued certificates. */
    private static final long SECRETS_EVERY_NANOS = 5_000_000_000L;
    /** How often the keeper reads the cluster's settings. */
    private static final long SETTINGS_EVERY_NANOS = 1_000_000_000L;
    private long settingsReadAt = System.nanoTime() - SETTINGS_EVERY_NANOS;

    private final EtcdGateway etcd;
    private final ClusterKeys keys;
    private NodeConfig node;
    private final Datastore datastore;
    private final String jobId;
    private final String hostId;
    private final ScheduledExecutorService leaseLoop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keeper-lease");
        t.setDaemon(true);
        return t;
    });
    private volatile long lease;
    private volatile NodeReport report;
    /** The report as last written under the current lease. */
    private NodeReport published;
    private volatile boolean registered;
    /** When the renewal that kept the lease alive was sent. */
    private volatile long renewedAtMillis;
    private final Watchdog watchdog = new Watchdog(Path.of(System.getProperty("java.io.tmpdir"), "grid-keeper"));

    /** The keeper program this process runs, as {@link dev.grid.appliance.KeeperProgram} named it (null outside a keeper slug). */
    static final String PROGRAM = dev.grid.appliance.KeeperProgram.running();

    /** This keeper process: a restarted node is a new incarnation, and a primary must be accepted again. */
    private final String incarnation = java.util.UUID.randomUUID().toString();
    /** What this keeper remembers between rounds ({@link Convergence}). */
    private Convergence.Memory memory = Convergence.Memory.START;
    private final Convergence.Node self;
    private long downSince;
    private String lastMessage = "";
    private Map<String, String> appliedSettings;

    /** The node's volume was empty when this keeper started: it holds no data until it has served as primary or replica. */
    private final boolean freshVolume;
    private boolean served;

    public Keeper(EtcdGateway etcd, ClusterKeys keys, NodeConfig node, Datastore datastore, String jobId, String hostId) {
        this(etcd, keys, node, datastore, jobId, hostId, false);
    }

    public Keeper(EtcdGateway etcd, ClusterKeys keys, NodeConfig node, Datastore datastore, String jobId, String hostId, boolean freshVolume) {
        this.freshVolume = freshVolume;
        this.etcd = etcd;
        this.keys = keys;
        this.node = node;
        this.datastore = datastore;
        this.jobId = jobId;
        this.hostId = hostId;
        this.self = new Convergence.Node(node.id(), incarnation, datastore.cascades(), datastore.positions());
    }

    /** Whether a node's volume holds nothing yet (a file system's own {@code lost+found} aside). */
    static boolean emptyVolume(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(dir)) return true;
        try (var entries = java.nio.file.Files.list(dir)) {
            return entries.allMatch(p -> p.getFileName().toString().equals("lost+found"));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: keeper DATASTORE_CLASS (with GRID_ETCD, GRID_PREFIX, GRID_APPLIANCE, GRID_CLUSTER, GRID_NODE, PORT set)");
            System.exit(2);
        }
        Map<String, String> env = System.getenv();
        Datastore datastore = (Datastore) Class.forName(args[0]).getDeclaredConstructor().newInstance();
        ClusterKeys keys = new ClusterKeys(require(env, "GRID_APPLIANCE"), require(env, "GRID_CLUSTER"));
        // The cluster's own etcd user (from the host, never in the release): it reaches this cluster's keys only.
        EtcdGateway etcd = new EtcdGateway(Arrays.asList(require(env, "GRID_ETCD").split(",")), env.getOrDefault("GRID_PREFIX", "grid"),
                env.get("GRID_ETCD_USER"), env.get("GRID_ETCD_PASSWORD"), env.get("GRID_ETCD_CA_PEM"),
                env.get("GRID_ETCD_CERT_PEM"), env.get("GRID_ETCD_KEY_PEM"));
        NodeConfig node = new NodeConfig(require(env, "GRID_NODE"), env.getOrDefault("GRID_HOST_ADDRESS", "127.0.0.1"),
                Integer.parseInt(require(env, "PORT")), Path.of(env.getOrDefault("GRID_DATA_DIR", "/data")), secrets(etcd, keys));
        boolean fresh = emptyVolume(node.dataDir()); // before the datastore writes its first file there
        datastore.configure(node);
        try (Keeper keeper = new Keeper(etcd, keys, node, datastore, env.get("GRID_JOB_ID"), env.get("GRID_HOST_ID"), fresh)) {
            // Stopping the container (grid down) stops the datastore cleanly rather than at the kill timeout.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                keeper.close();
                datastore.stop();
            }));
            keeper.run();
        }
    }

    /** The cluster's passwords, read from etcd (waiting while etcd does not answer). */
    @SuppressWarnings("unchecked")
    private static Map<String, String> secrets(EtcdGateway etcd, ClusterKeys keys) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                Map<String, String> out = new HashMap<>();
                etcd.get(keys.secrets(), Map.class).orElse(Map.of()).forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
                return out;
            } catch (IOException e) {
                if (attempt % 10 == 1) log("cannot read the cluster's secrets yet: " + e.getMessage());
                Thread.sleep(500);
            }
        }
    }

    private static String require(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException(name + " is not set");
        return v;
    }

    public void run() throws InterruptedException {
        log("keeper for " + keys.appliance() + "/" + keys.cluster() + " node " + node.id() + " on " + node.address() + ":" + node.port());
        leaseLoop.scheduleWithFixedDelay(this::renew, 0, RENEW_MILLIS, TimeUnit.MILLISECONDS);
        long secretsReadAt = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (System.nanoTime() - secretsReadAt > SECRETS_EVERY_NANOS) {
                    secretsReadAt = System.nanoTime();
                    rereadSecrets();
                }
                tick();
            } catch (Exception e) {
                say("error: " + e.getMessage());
            }
            Thread.sleep(TICK_MILLIS);
        }
    }

    /** Hands the datastore the cluster's secrets again if they changed (its certificates were re-issued). */
    @SuppressWarnings("unchecked")
    private void rereadSecrets() throws Exception {
        Map<String, String> now = new HashMap<>();
        var stored = etcd.get(keys.secrets(), Map.class);
        if (stored.isEmpty()) return;
        stored.get().forEach((k, v) -> now.put(String.valueOf(k), String.valueOf(v)));
        if (now.equals(node.secrets())) return;
        NodeConfig renewed = new NodeConfig(node.id(), node.address(), node.port(), node.dataDir(), now);
        datastore.reconfigure(renewed);
        node = renewed;
        log("the cluster's secrets changed: taken without a restart");
    }

    /**
     * One round: read the state, converge ({@link Convergence}: what to do, done and observed
     * again until nothing is left), report.
     */
    void tick() throws Exception {
        // Settings change by an operator's hand: once a second is soon enough, and spares etcd a read every round.
        if (System.nanoTime() - settingsReadAt >= SETTINGS_EVERY_NANOS) {
            settingsReadAt = System.nanoTime();
            applySettings();
        }
        guard();
        ClusterState state = etcd.get(keys.state(), ClusterState.class).orElse(null);
        Observation obs = datastore.observe();
        Set<Class<? extends Convergence.Action>> done = new HashSet<>();
        Convergence.Step step;
        while (true) {
            step = Convergence.next(self, state, obs, this::reportOf, memory, System.currentTimeMillis(), done);
            memory = step.memory();
            if (step.say() != null) say(step.say());
            if (step.register() != null) register(step.register());
            if (step.action() == null) break;
            done.add(step.action().getClass());
            try {
                perform(step.action());
            } catch (Exception e) {
                memory = Convergence.failed(memory, step.action());
                throw e;
            }
            obs = datastore.observe();
        }
        if (!Role.STOPPED.equals(obs.role())) downSince = 0;
        else if (downSince == 0) downSince = System.currentTimeMillis();
        if (Role.PRIMARY.equals(obs.role()) || Role.REPLICA.equals(obs.role())) served = true;
        report = new NodeReport(node.id(), node.address(), node.port(), obs.role(), memory.appliedGeneration(), obs.upstream(), obs.position(),
                step.caughtUp(), downSince, obs.message(), incarnation, PROGRAM, freshVolume && !served, datastore.toolPort());
        publish();
    }

    /** Does what {@link Convergence} said to the datastore. */
    private void perform(Convergence.Action action) throws Exception {
        if (action instanceof Convergence.BecomePrimary) datastore.becomePrimary();
        else if (action instanceof Convergence.RequireSync r) datastore.requireSync(r.replica());
        else if (action instanceof Convergence.Stop) datastore.stop();
        else if (action instanceof Convergence.Follow f) datastore.follow(f.upstream(), f.stalled());
    }

    /** Another node's report, as etcd has it now (null: none). */
    private NodeReport reportOf(String id) {
        try {
            return etcd.get(keys.node(id), NodeReport.class).orElse(null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Keeps the fence watchdog running with the datastore's fence command, and lifts a fence the
     * watchdog set once the lease is renewed again while this node is still the registered
     * primary (a fence of a node that is not lifted: it is stopped as a deposed primary).
     */
    private void guard() {
        try {
            watchdog.ensure(datastore.fence());
            if (!registered) {
                watchdog.notPrimary();
            } else if (watchdog.fenced() && System.currentTimeMillis() - renewedAtMillis < Watchdog.DEADLINE_MILLIS) {
                datastore.unfence();
                watchdog.lifted();
                say("the lease is renewed and this node is still the primary: fence lifted");
            }
        } catch (Exception e) {
            say("cannot run the fence watchdog: " + e.getMessage());
        }
    }

    /**
     * Hands the cluster's settings to the datastore when they differ from what it took last. One
     * it cannot take yet is tried again next round; the node's role does not wait for it.
     */
    @SuppressWarnings("unchecked")
    private void applySettings() throws IOException {
        Map<String, String> settings = new java.util.TreeMap<>();
        etcd.get(keys.settings(), Map.class).orElse(Map.of()).forEach((k, v) -> settings.put(String.valueOf(k), String.valueOf(v)));
        if (settings.equals(appliedSettings)) return;
        try {
            datastore.settings(settings);
            appliedSettings = settings;
            log("settings applied: " + (settings.isEmpty() ? "the defaults" : settings));
        } catch (Exception e) {
            say("cannot apply the settings " + settings + " yet: " + e.getMessage());
        }
    }

    private void register(boolean primary) throws IOException {
        String key = dev.grid.store.Keys.instance(keys.service(), node.id());
        if (primary && !registered) {
            etcd.put(key, new Instance(keys.service(), node.id(), node.address(), node.port(), jobId, hostId), lease);
            if (renewedAtMillis > 0) watchdog.renewed(renewedAtMillis); // else the first renewal writes it
            registered = true;
            say("serving as primary: registered in " + keys.service());
        } else if (!primary && registered) {
            registered = false;
            watchdog.notPrimary();
            etcd.delete(key);
        }
    }

    private synchronized void renew() {
        long sent = System.currentTimeMillis();
        try {
            if (lease == 0 || !etcd.keepAlive(lease)) {
                lease = etcd.grant(TTL_SECONDS);
                registered = false;
                published = null;
                publish();
            }
            // The watchdog's file first: a fence is lifted once renewedAtMillis is recent, and the watchdog
            // must see that renewal by then, or it fences again at once.
            if (registered) watchdog.renewed(sent);
            renewedAtMillis = sent;
        } catch (Exception e) {
            say("cannot reach etcd: " + e.getMessage());
        }
    }

    /** Writes the report if it changed since it was last written under this lease (the lease alone keeps it alive). */
    private synchronized void publish() {
        NodeReport r = report;
        if (r == null || lease == 0 || r.equals(published)) return;
        try {
            etcd.put(keys.node(node.id()), r, lease);
            published = r;
        } catch (IOException e) {
            say("cannot report: " + e.getMessage());
        }
    }

    private void say(String message) {
        if (!message.equals(lastMessage)) log(message);
        lastMessage = message;
    }

    private static void log(String message) {
        System.out.println("keeper: " + message);
        System.out.flush();
    }

    @Override
    public void close() {
        leaseLoop.shutdownNow();
        watchdog.close();
    }
}
