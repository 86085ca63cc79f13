package dev.grid.appliance;

import dev.grid.core.ProcessType;
import dev.grid.core.VolumeMount;
import dev.grid.store.EtcdUsers;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Running an appliance cluster on layer 0: one process type per member node (so each has
 * its own volume and the scheduler spreads them over hosts), each running the keeper.
 */
public final class Clusters {
    /** Where a node's volume is mounted in its container. */
    public static final String DATA_DIR = "/data";

    private Clusters() {}

    public static List<String> members(int count) {
        return IntStream.range(0, count).mapToObj(i -> "n" + i).toList();
    }

    /**
     * Starts the cluster unless it exists, with a random password for each of {@code secretNames}
     * (kept at {@link ClusterKeys#secrets}: {@link #secrets} for the provider,
     * {@link NodeConfig#secret} in the keepers). Each keeper signs in to etcd as the cluster's own
     * user, which reaches the cluster's keys and the discovery keys it registers the primary under,
     * and nothing else. Returns whether the cluster was created now.
     */
    public static boolean ensure(Platform platform, ClusterSpec spec, Class<? extends Datastore> datastore,
                                 List<String> secretNames, long memoryMb) throws Exception {
        return ensure(platform, spec, datastore, secretNames, memoryMb, null);
    }

    /**
     * A cluster's certificates from Grid's {@link ClusterCa}: one for its servers, named
     * {@code server} and {@code addresses} (where apps reach it), and one for each of {@code clients}, the users it lets in by certificate.
     * They are kept with its passwords ({@link #TLS_CA}, {@link #TLS_SERVER_CERT},
     * {@link #tlsClientCert}, ...), so its keepers and Grid's own parts have them and no app does.
     */
    public record Tls(String server, List<String> addresses, List<String> clients) {
        public Tls {
            addresses = List.copyOf(addresses);
            clients = List.copyOf(clients);
        }
    }

    public static final String TLS_CA = "TLS_CA";
    public static final String TLS_SERVER_CERT = "TLS_SERVER_CERT";
    public static final String TLS_SERVER_KEY = "TLS_SERVER_KEY";

    public static String tlsClientCert(String client) {
        return "TLS_CLIENT_" + client.toUpperCase(java.util.Locale.ROOT) + "_CERT";
    }

    public static String tlsClientKey(String client) {
        return "TLS_CLIENT_" + client.toUpperCase(java.util.Locale.ROOT) + "_KEY";
    }

    /**
     * Re-issues the cluster's certificates if its server's ends within {@link ClusterCa#RENEW_BEFORE}
     * (same names, new keys), or gives it Grid's CA bundle if a CA joined or left it
     * ({@link ClusterCa.Authority}), by compare-and-swap; its keepers take them within seconds and without
     * a restart ({@link Datastore#reconfigure}). Returns whether it did. A cluster without
     * certificates is left as it is; {@code tls} is asked only when they are due.
     */
    public static boolean renewTls(Platform platform, ClusterKeys keys, java.util.function.Supplier<Tls> tls, java.time.Instant now) {
        Store store = store(platform);
        var entry = store.get(keys.secrets());
        if (entry.isEmpty()) return false;
        Map<String, String> secrets = new LinkedHashMap<>();
        entry.get().as(Map.class).forEach((k, v) -> secrets.put(String.valueOf(k), String.valueOf(v)));
        if (!secrets.containsKey(TLS_CA)) return false;
        ClusterCa.Authority authority = ClusterCa.Authority.of(store, now);
        if (renewalDue(secrets, now)) secrets.putAll(tlsSecrets(authority, tls.get()));
        else if (!authority.bundlePem().equals(secrets.get(TLS_CA))) secrets.put(TLS_CA, authority.bundlePem()); // a CA joined or left
        else return false;
        return store.txn().ifUnchanged(keys.secrets(), entry.get().modRevision()).put(keys.secrets(), secrets).commit();
    }

    /**
     * Gives a cluster an earlier Grid made (no certificates) its certificates, once every node
     * runs the keeper {@link #upgradeKeepers} named: this Grid's keepers take them live, all
     * within a round of each other, where an old keeper would not. Throws, saying why, while
     * some node does not run it yet (the controller tries again); returns whether it gave them.
     */
    public static boolean addCertificates(Platform platform, ClusterKeys keys, java.util.function.Supplier<Tls> tls, java.time.Instant now) {
        Store store = store(platform);
        var entry = store.get(keys.secrets());
        if (entry.isEmpty()) return false;
        Map<String, String> secrets = new LinkedHashMap<>();
        entry.get().as(Map.class).forEach((k, v) -> secrets.put(String.valueOf(k), String.valueOf(v)));
        if (secrets.containsKey(TLS_CA)) return false;
        String wanted = wantedKeeper(store, keys);
        ClusterSpec spec = store.get(keys.spec(), ClusterSpec.class).orElseThrow();
        Map<String, NodeReport> nodes = reports(store, keys);
        long on = wanted == null ? 0 : spec.members().stream()
                .filter(m -> nodes.get(m) != null && nodes.get(m).healthy() && KeeperProgram.name(wanted).equals(nodes.get(m).program())).count();
        if (on < spec.members().size()) {
            throw new IllegalStateException("the cluster " + keys.cluster() + " gets certificates once every node runs this Grid's keeper ("
                    + on + " of " + spec.members().size() + " do)");
        }
        secrets.putAll(tlsSecrets(ClusterCa.Authority.of(store, now), tls.get()));
        return store.txn().ifUnchanged(keys.secrets(), entry.get().modRevision()).put(keys.secrets(), secrets).commit();
    }

    /** Whether a cluster's server certificate ends within {@link ClusterCa#RENEW_BEFORE} of {@code now}. */
    static boolean renewalDue(Map<String, String> secrets, java.time.Instant now) {
        String cert = secrets.get(TLS_SERVER_CERT);
        return cert != null && ClusterCa.renewalDue(cert, now);
    }

    /** The secrets holding {@code tls}'s certificates, newly issued. */
    public static Map<String, String> tlsSecrets(ClusterCa ca, Tls tls) {
        return tlsSecrets(new ClusterCa.Authority(ca, List.of(ca)), tls);
    }

    public static Map<String, String> tlsSecrets(ClusterCa.Authority authority, Tls tls) {
        ClusterCa ca = authority.issuer();
        Map<String, String> out = new LinkedHashMap<>();
        out.put(TLS_CA, authority.bundlePem());
        ClusterCa.Issued server = ca.issue(tls.server(), true, tls.addresses());
        out.put(TLS_SERVER_CERT, server.certPem());
        out.put(TLS_SERVER_KEY, server.keyPem());
        for (String client : tls.clients()) {
            ClusterCa.Issued c = ca.issue(client, false);
            out.put(tlsClientCert(client), c.certPem());
            out.put(tlsClientKey(client), c.keyPem());
        }
        return out;
    }

    /** As above, with the cluster's certificates when {@code tls} is not null. */
    public static boolean ensure(Platform platform, ClusterSpec spec, Class<? extends Datastore> datastore,
                                 List<String> secretNames, long memoryMb, Tls tls) throws Exception {
        Store store = store(platform);
        ClusterKeys keys = spec.keys();
        if (store.get(keys.spec()).isPresent()) return false;
        String slug = KeeperProgram.publish(platform.blobs(), datastore, platform.keeperJavaOptions());
        List<String> capabilities = List.copyOf(datastore.getDeclaredConstructor().newInstance().capabilities());
        Map<String, ProcessType> processes = new LinkedHashMap<>();
        // A fresh volume name per cluster: a cluster made again under the same name never finds old data.
        String volumes = spec.appliance() + "-" + spec.cluster() + "-" + Secrets.token(6).toLowerCase();
        for (String m : spec.members()) {
            processes.put(m, new ProcessType("exec env GRID_NODE=" + m + " /app/keeper", Map.of(), memoryMb,
                    List.of(new VolumeMount(volumes + "-" + m, DATA_DIR)), capabilities));
        }
        Map<String, String> secrets = new LinkedHashMap<>();
        for (String name : secretNames) secrets.put(name, Secrets.token(32));
        if (tls != null) secrets.putAll(tlsSecrets(ClusterCa.Authority.of(store, java.time.Instant.now()), tls));
        // A cluster whose making was cut short keeps the passwords it has: its volumes may hold them.
        store.txn().ifUnchanged(keys.secrets(), 0).put(keys.secrets(), secrets).commit();
        Map<String, String> env = new HashMap<>();
        env.put("GRID_ETCD", String.join(",", store.endpoints()));
        env.put("GRID_PREFIX", store.prefix());
        env.put("GRID_APPLIANCE", spec.appliance());
        env.put("GRID_CLUSTER", spec.cluster());
        if (store.access().ca() != null) env.put("GRID_ETCD_CA_PEM", java.nio.file.Files.readString(store.access().ca()));
        // Never in the release (the API shows a release's env): the host adds these to the nodes' env only.
        Map<String, String> nodeSecrets = new HashMap<>();
        if (store.access().authenticated()) {
            String password = Secrets.token(32);
            store.users().ensure(keeperUser(store, keys), password, List.of(
                    EtcdUsers.Grant.read(keys.root()),
                    EtcdUsers.Grant.readWrite(keys.nodes()),
                    EtcdUsers.Grant.readWrite(Keys.instances(keys.service()))));
            nodeSecrets.put("GRID_ETCD_USER", keeperUser(store, keys));
            nodeSecrets.put("GRID_ETCD_PASSWORD", password);
        }
        if (store.access().cert() != null) {
            // An etcd that asks every client for a certificate gets Grid's from the keepers too.
            nodeSecrets.put("GRID_ETCD_CERT_PEM", java.nio.file.Files.readString(store.access().cert()));
            nodeSecrets.put("GRID_ETCD_KEY_PEM", java.nio.file.Files.readString(store.access().key()));
        }
        if (!nodeSecrets.isEmpty()) store.put(Keys.appSecrets(keys.app()), nodeSecrets);
        if (!store.txn().ifUnchanged(keys.spec(), 0).put(keys.spec(), spec).put(keys.keeper(), Map.of("slug", slug)).commit()) return false;
        try {
            platform.runApp(keys.app(), processes, env, slug);
        } catch (RuntimeException e) {
            store.delete(keys.spec()); // not made: the next attempt starts over
            throw e;
        }
        return true;
    }

    /**
     * Makes the keeper program this Grid packs for {@code datastore} the one the cluster's nodes
     * should run; the manager then restarts them on it one at a time ({@link Upgrade}). A new Grid
     * calls it for every cluster when its controller starts: the nodes get its keeper, with no
     * manual step. Returns whether the wanted program changed.
     */
    public static boolean upgradeKeepers(Platform platform, ClusterKeys keys, Class<? extends Datastore> datastore) throws Exception {
        Store store = store(platform);
        if (store.get(keys.spec()).isEmpty()) return false;
        String slug = KeeperProgram.publish(platform.blobs(), datastore, platform.keeperJavaOptions());
        var entry = store.get(keys.keeper()).orElse(null);
        if (entry != null && slug.equals(String.valueOf(entry.as(Map.class).get("slug")))) return false;
        return store.txn().ifUnchanged(keys.keeper(), entry == null ? 0 : entry.modRevision()).put(keys.keeper(), Map.of("slug", slug)).commit();
    }

    /** The keeper program the cluster's nodes should run (its slug URL), or null if none was named (a cluster an earlier Grid made). */
    public static String wantedKeeper(Store store, ClusterKeys keys) {
        return store.get(keys.keeper(), Map.class).map(m -> (String) m.get("slug")).orElse(null);
    }

    /** The cluster's passwords, made by {@link #ensure}. */
    public static Map<String, String> secrets(Store store, ClusterKeys keys) {
        Map<String, String> out = new LinkedHashMap<>();
        store.get(keys.secrets(), Map.class).orElseThrow(() -> new IllegalStateException("the " + keys.appliance() + " cluster "
                + keys.cluster() + " has no secrets")).forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        return out;
    }

    /** The setting that records that a cluster has spanned hosts ({@link #spansHosts}). */
    public static final String SPANNED_HOSTS = "spanned-hosts";

    /**
     * Whether the cluster has ever had nodes on more than one host (told apart by address): from
     * then on its traffic leaves machines, so its clients take TLS, and it stays so (recorded in
     * its settings) even if its nodes come back together.
     */
    public static boolean spansHosts(Platform platform, ClusterKeys keys) {
        Store store = store(platform);
        if ("yes".equals(settings(store, keys).get(SPANNED_HOSTS))) return true;
        if (!spansHosts(reports(store, keys).values())) return false;
        configure(store, keys, Map.of(SPANNED_HOSTS, "yes"));
        return true;
    }

    static boolean spansHosts(java.util.Collection<NodeReport> reports) {
        return reports.stream().map(NodeReport::address).distinct().count() > 1;
    }

    /** What {@link #configure} set on the cluster: every keeper hands it to its {@link Datastore#settings}. */
    public static Map<String, String> settings(Store store, ClusterKeys keys) {
        Map<String, String> out = new java.util.TreeMap<>();
        store.get(keys.settings(), Map.class).orElse(Map.of()).forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        return out;
    }

    /**
     * Merges {@code changes} (already validated by the provider) into the cluster's settings, by
     * compare-and-swap so that two operators' changes both land, and returns them all. The
     * keepers apply them within a round.
     */
    public static Map<String, String> configure(Platform platform, ClusterKeys keys, Map<String, String> changes) {
        return configure(store(platform), keys, changes);
    }

    static Map<String, String> configure(Store store, ClusterKeys keys, Map<String, String> changes) {
        if (store.get(keys.spec()).isEmpty()) throw new IllegalStateException("the " + keys.appliance() + " cluster " + keys.cluster() + " does not exist");
        while (true) {
            var entry = store.get(keys.settings());
            long version = entry.map(dev.grid.store.Entry::modRevision).orElse(0L);
            Map<String, String> now = new java.util.TreeMap<>();
            entry.ifPresent(e -> e.as(Map.class).forEach((k, v) -> now.put(String.valueOf(k), String.valueOf(v))));
            now.putAll(changes);
            if (store.txn().ifUnchanged(keys.settings(), version).put(keys.settings(), now).commit()) return now;
        }
    }

    /** etcd users are global, not under Grid's prefix: the name tells Grids sharing an etcd apart. */
    public static String keeperUser(Store store, ClusterKeys keys) {
        return "grid-keeper-" + Integer.toHexString(store.prefix().hashCode()) + "-" + keys.appliance() + "-" + keys.cluster();
    }

    /** Removes a cluster made by {@link #ensure}: its route, its nodes with their volumes on every host, its keys and etcd user. */
    public static void destroy(Platform platform, ClusterKeys keys) {
        Store store = store(platform);
        platform.removeTcpEndpoint(keys.service());
        platform.destroyApp(keys.app(), true);
        if (store.access().authenticated()) store.users().remove(keeperUser(store, keys));
        store.delete(Keys.appSecrets(keys.app()));
        store.deletePrefix(keys.root());
    }

    /** The cluster state and the keepers' reports now. */
    public static Optional<ClusterState> state(Store store, ClusterKeys keys) {
        return store.get(keys.state(), ClusterState.class);
    }

    public static Map<String, NodeReport> reports(Store store, ClusterKeys keys) {
        Map<String, NodeReport> out = new LinkedHashMap<>();
        store.list(keys.nodes()).entries().forEach(e -> out.put(e.name(), e.as(NodeReport.class)));
        return out;
    }

    /** The manager's notes of members' last reports ({@link ClusterKeys#seen}), by member. */
    public static Map<String, HostLoss.LastSeen> lastSeen(Store store, ClusterKeys keys) {
        Map<String, HostLoss.LastSeen> out = new LinkedHashMap<>();
        store.list(keys.root() + "seen/").entries().forEach(e -> out.put(e.name(), e.as(HostLoss.LastSeen.class)));
        return out;
    }

    /**
     * Waits until the primary serves and, if the cluster has replicas, one holds its writes (for a
     * synchronous cluster: a sync known to be caught up, so the first acknowledged write is already
     * safe). Returns the primary's report.
     */
    public static NodeReport awaitReady(Platform platform, ClusterSpec spec, Duration timeout, Consumer<String> progress) throws InterruptedException {
        Store store = store(platform);
        ClusterKeys keys = spec.keys();
        long deadline = System.nanoTime() + timeout.toNanos();
        String said = null;
        while (true) {
            ClusterState s = state(store, keys).orElse(null);
            Map<String, NodeReport> nodes = reports(store, keys);
            NodeReport p = s == null || s.primary() == null ? null : nodes.get(s.primary());
            boolean serving = p != null && p.isWritablePrimary() && p.generation() == s.generation();
            // With replicas, one must hold the writes: caught up (synchronous), or attached (asynchronous,
            // where a named replica also makes the primary refuse writes no replica acknowledged).
            boolean ready = serving && (spec.members().size() == 1 || (spec.synchronous() ? s.syncReady()
                    : s.sync() != null && nodes.containsKey(s.sync()) && nodes.get(s.sync()).isReplicaOf(s.primary())));
            if (ready) return p;
            String now = s == null ? nodes.size() + " of " + spec.members().size() + " nodes started"
                    : !serving ? "primary " + s.primary() + " starting"
                    : s.sync() == null ? "no replica attached to primary " + s.primary() + " yet"
                    : "replica " + s.sync() + " catching up with primary " + s.primary();
            if (!now.equals(said)) progress.accept("waiting for the " + spec.appliance() + " cluster: " + now);
            said = now;
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("the " + spec.appliance() + " cluster is not ready after " + timeout.toSeconds() + " s: " + now);
            Thread.sleep(200);
        }
    }

    /** The primary's report if it serves now, or a clear error. */
    public static NodeReport servingPrimary(Store store, ClusterKeys keys) {
        ClusterState s = state(store, keys).orElseThrow(() -> new IllegalStateException("the " + keys.appliance() + " cluster has no state yet"));
        NodeReport p = reports(store, keys).get(s.primary());
        if (p == null || !p.isWritablePrimary())
            throw new IllegalStateException("the " + keys.appliance() + " primary " + s.primary() + " is not serving; try again shortly");
        return p;
    }

    /** {@link #secrets(Store, ClusterKeys)}, for a provider. */
    public static Map<String, String> secrets(Platform platform, ClusterKeys keys) {
        return secrets(store(platform), keys);
    }

    /** {@link #state(Store, ClusterKeys)}, for a provider. */
    public static Optional<ClusterState> state(Platform platform, ClusterKeys keys) {
        return state(store(platform), keys);
    }

    /** {@link #reports(Store, ClusterKeys)}, for a provider. */
    public static Map<String, NodeReport> reports(Platform platform, ClusterKeys keys) {
        return reports(store(platform), keys);
    }

    /** {@link #servingPrimary(Store, ClusterKeys)}, for a provider. */
    public static NodeReport servingPrimary(Platform platform, ClusterKeys keys) {
        return servingPrimary(store(platform), keys);
    }

    /** {@link #settings(Store, ClusterKeys)}, for a provider. */
    public static Map<String, String> settings(Platform platform, ClusterKeys keys) {
        return settings(store(platform), keys);
    }

    /** The cluster's spec, if it exists. */
    public static Optional<ClusterSpec> spec(Platform platform, ClusterKeys keys) {
        return store(platform).get(keys.spec(), ClusterSpec.class);
    }

    /**
     * Changes the cluster's secrets by compare-and-swap: {@code change} gets them as they are and
     * returns them as they should be; it is asked again if another write came between. Returns
     * whether they changed (false: {@code change} returned them as they were).
     */
    public static boolean updateSecrets(Platform platform, ClusterKeys keys, java.util.function.UnaryOperator<Map<String, String>> change) {
        Store store = store(platform);
        for (int attempt = 0; attempt < 5; attempt++) {
            var entry = store.get(keys.secrets()).orElseThrow(() -> new IllegalStateException("the " + keys.appliance() + " cluster "
                    + keys.cluster() + " has no secrets"));
            Map<String, String> now = new LinkedHashMap<>();
            entry.as(Map.class).forEach((k, v) -> now.put(String.valueOf(k), String.valueOf(v)));
            Map<String, String> want = change.apply(java.util.Collections.unmodifiableMap(now));
            if (want.equals(now)) return false;
            if (store.txn().ifUnchanged(keys.secrets(), entry.modRevision()).put(keys.secrets(), want).commit()) return true;
        }
        throw new IllegalStateException("the secrets of " + keys.cluster() + " kept changing: try again");
    }

    /** Grid's certificate authority, which issues the certificates of an appliance's own parts. */
    public static ClusterCa ca(Platform platform) {
        return ClusterCa.of(store(platform));
    }

    private static Store store(Platform platform) {
        return platform.clusterStore().store();
    }

    /**
     * What {@code addons:info} shows of a cluster: generation, each node's role, state,
     * address and lag behind the primary ({@code lag_UNIT}, as {@code positions} counts it), the last
     * failover and what the appliance promises.
     */
    public static Map<String, Object> describe(Platform platform, ClusterSpec spec, Positions positions, String promise) {
        Store store = store(platform);
        ClusterKeys keys = spec.keys();
        ClusterState s = state(store, keys).orElse(null);
        Map<String, NodeReport> reports = reports(store, keys);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("cluster", spec.cluster() + " (" + spec.members().size() + " nodes)");
        info.put("generation", s == null ? 0 : s.generation());
        NodeReport p = s == null ? null : reports.get(s.primary());
        Map<String, HostLoss.LastSeen> seen = reports.size() < spec.members().size() ? lastSeen(store, keys) : Map.of();
        List<Map<String, Object>> nodes = new java.util.ArrayList<>();
        for (String m : spec.members()) {
            NodeReport r = reports.get(m);
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("node", m);
            String role = s == null ? "starting" : s.roleOf(m);
            if (!spec.synchronous() && s != null && !m.equals(s.primary()) && !s.deposed().contains(m)) role = "replica";
            n.put("role", role);
            HostLoss.LastSeen last = r == null ? seen.get(m) : null;
            n.put("state", r != null ? r.message() : last == null ? "down (no report)"
                    : "down (no report since " + java.time.Instant.ofEpochMilli(last.atMillis()) + ", when its position was " + last.report().position() + ")");
            n.put("address", r == null ? "" : r.address() + ":" + r.port());
            if (r != null && p != null && !m.equals(s.primary())) n.put("lag_" + positions.unit(), positions.distance(r.position(), p.position()));
            n.put("keeper", r == null ? "" : r.program() == null ? "(an earlier Grid's)" : r.program());
            nodes.add(n);
        }
        info.put("nodes", nodes);
        String wanted = wantedKeeper(store, keys);
        if (wanted != null) {
            String program = KeeperProgram.name(wanted);
            long on = spec.members().stream().filter(m -> reports.get(m) != null && program.equals(reports.get(m).program())).count();
            if (on < spec.members().size()) info.put("keeper_upgrade", on + " of " + spec.members().size() + " nodes on " + program + ", one node at a time");
        }
        info.put("last_failover", s == null || s.lastFailover() == null ? "none"
                : java.time.Instant.ofEpochMilli(s.lastFailover().atMillis()) + ": " + s.lastFailover().from() + " -> "
                + s.lastFailover().to() + " (" + s.lastFailover().reason() + ")");
        info.put("promise", promise);
        return info;
    }
}
