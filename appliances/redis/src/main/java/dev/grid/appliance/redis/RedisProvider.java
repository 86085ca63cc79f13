package dev.grid.appliance.redis;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterSpec;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Positions;
import dev.grid.appliance.Platform.Endpoint;
import dev.grid.appliance.Provider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Provisions a dedicated Redis per add-on: a primary and {@code replicas} replicas (default
 * 1) on distinct hosts where there are enough, a password of its own, and a leader-routed
 * TCP route that follows the primary.
 */
public final class RedisProvider implements Provider {
    static final String PLAN = "dedicated";
    static final int MAX_REPLICAS = 4;
    /** The memory of a node's container (Redis and its keeper). */
    static final long NODE_MB = 128;
    /** The cluster's app is grid-redis-NAME, and app names have at most 30 characters. */
    static final int MAX_NAME = 30 - "grid-redis-".length();
    static final String PROMISE = "Replication is asynchronous, but one replica is the sync: the only one attached to the primary"
            + " (the others copy it), on another host than the primary where there is one. A write confirmed by WAIT 1 is on"
            + " the sync, and only the sync is promoted on failover, once the primary confirmed it caught up: so no confirmed"
            + " write is lost by a failover, nor by the loss of one host. When the primary and the sync are both lost (or the"
            + " sync was still catching up) the cluster waits for one of them rather than promote a replica that may miss"
            + " confirmed writes. The old primary rejoins as a replica, dropping what it never replicated. While a sync is"
            + " named the primary refuses writes it has not acknowledged within " + RedisDatastore.MAX_LAG_SECONDS
            + " s (min-replicas-to-write 1, min-replicas-max-lag " + RedisDatastore.MAX_LAG_SECONDS + "), which bounds the"
            + " unconfirmed writes a failover may drop; with no replica left (after a failover, until another rejoins) the"
            + " primary takes writes alone and WAIT 1 confirms none.";

    private final Platform platform;

    RedisProvider(Platform platform) {
        this.platform = platform;
    }

    @Override
    public List<String> plans() {
        return List.of(PLAN);
    }

    @Override
    public List<String> options() {
        return List.of("replicas");
    }

    static ClusterSpec spec(String addon, int replicas) {
        return new ClusterSpec("redis", addon, Clusters.members(1 + replicas), true);
    }

    @Override
    public Resource provision(String addon, String plan, Map<String, String> options, Consumer<String> progress) throws Exception {
        int replicas;
        try {
            replicas = Integer.parseInt(options.getOrDefault("replicas", "1"));
        } catch (NumberFormatException e) {
            replicas = -1;
        }
        if (replicas < 0 || replicas > MAX_REPLICAS)
            throw new IllegalArgumentException("invalid replicas '" + options.get("replicas") + "': use 0-" + MAX_REPLICAS);
        if (addon.length() > MAX_NAME) throw new IllegalArgumentException("a Redis add-on's name has at most " + MAX_NAME + " characters");
        ClusterSpec spec = spec(addon, replicas);
        if (Clusters.spec(platform, spec.keys()).isPresent()) throw exists(addon);
        if (!Clusters.ensure(platform, spec, RedisDatastore.class, List.of("PASSWORD", "KEEPER_PASSWORD", "REPLICA_PASSWORD"), NODE_MB, tls(spec.keys()))) {
            throw exists(addon);
        }
        progress.accept("starting Redis " + addon + " (a primary and " + replicas + " replica(s))");
        Map<String, String> internal = Map.of("cluster", addon, "replicas", String.valueOf(replicas));
        Endpoint endpoint = platform.tcpEndpoint(spec.keys().service());
        Map<String, String> secrets = Clusters.secrets(platform, spec.keys());
        String password = secrets.get("PASSWORD");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("REDIS_URL", url(password, endpoint.host(), endpoint.port()));
        env.put("REDIS_HOST", endpoint.host());
        env.put("REDIS_PORT", String.valueOf(endpoint.port()));
        env.put("REDIS_PASSWORD", password);
        Resource made = new Resource(addon, env, internal);
        try {
            Clusters.awaitReady(platform, spec, Duration.ofMinutes(2), progress);
            made = new Resource(addon, currentEnv(made), internal);
            if (!made.env().equals(env)) {
                // Its nodes are on more than one host: they take TLS now, and the add-on is ready once they serve it.
                progress.accept("the nodes are on more than one host: waiting for Redis " + addon + " to serve TLS");
                awaitTls(endpoint, secrets.get(Clusters.TLS_CA), password, replicas, Duration.ofMinutes(2));
            }
        } catch (Exception e) {
            deprovision(new Resource(addon, Map.of(), internal)); // never became ready: leave nothing behind
            throw e;
        }
        return made;
    }

    /** The server's certificate names where apps reach it (the route's host): clients such as node-redis check that name. */
    private Clusters.Tls tls(ClusterKeys keys) {
        return new Clusters.Tls(keys.service(), List.of(platform.tcpEndpoint(keys.service()).host()), List.of());
    }

    private static IllegalStateException exists(String addon) {
        return new IllegalStateException("a Redis cluster named " + addon + " exists already (left by an add-on whose destroy failed):"
                + " choose another name");
    }

    /** TLS once the cluster has spanned hosts: {@code rediss://} and the CA ({@link #withTls}). */
    @Override
    public Map<String, String> currentEnv(Resource resource) {
        ClusterKeys keys = new ClusterKeys("redis", resource.internal().get("cluster"));
        if (Clusters.renewTls(platform, keys, () -> tls(keys), java.time.Instant.now())) {
            org.slf4j.LoggerFactory.getLogger(RedisProvider.class).info("redis {}: the cluster's certificates were re-issued", keys.cluster());
        }
        Map<String, String> secrets = Clusters.secrets(platform, keys);
        String ca = caServed(platform, keys, secrets);
        return withTls(upgradedEnv(resource), ca != null, ca);
    }

    /**
     * The CA the cluster's nodes serve TLS with now, or null while they serve plaintext: one machine,
     * or a cluster an earlier Grid made with no certificates. Apps and the provider's own clients alike.
     */
    static String caServed(Platform platform, ClusterKeys keys, Map<String, String> secrets) {
        return secrets.containsKey(Clusters.TLS_CA) && Clusters.spansHosts(platform, keys) ? secrets.get(Clusters.TLS_CA) : null;
    }

    static final String CA_CERT = "REDIS_CA_CERT";

    /** {@code env} with {@code rediss://} and {@value #CA_CERT} when {@code tls}; never taken away again. */
    static Map<String, String> withTls(Map<String, String> env, boolean tls, String caPem) {
        if (!tls || caPem == null) return env;
        Map<String, String> out = new LinkedHashMap<>(env);
        out.computeIfPresent("REDIS_URL", (k, url) -> url.startsWith("redis://") ? "rediss://" + url.substring("redis://".length()) : url);
        out.put(CA_CERT, caPem);
        return out;
    }

    /**
     * Until a TLS client that trusts only the cluster's CA, signed in as the app's user through the
     * route, sees the primary with {@code replicas > 0 ? "a replica online" : "an answer"}: the
     * nodes restarted for TLS, and the replica resynchronised over it.
     */
    static void awaitTls(Endpoint endpoint, String caPem, String password, int replicas, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try (Resp c = Resp.connect(endpoint.host(), endpoint.port(), caPem, 2000)) {
                String info = c.auth("default", password).text("INFO", "replication");
                if (replicas == 0 || info.contains("state=online")) return;
                last = "no replica online yet";
            } catch (java.io.IOException e) {
                last = e.getMessage();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Redis does not serve TLS at " + endpoint.host() + ":" + endpoint.port() + " after "
                + timeout.toSeconds() + " s: " + last);
    }

    /**
     * The add-on's URL, naming its user: redis-cli 7 sends {@code AUTH "" PASSWORD} for an empty
     * one, which fails. {@code default} is the app's user on every cluster, an earlier Grid's too.
     */
    static String url(String password, String host, int port) {
        return "redis://default:" + password + "@" + host + ":" + port;
    }

    /** An earlier Grid's URL named no user ({@code redis://:PASSWORD@...}); {@code default} is the same user on its clusters. */
    static String upgradedUrl(String url) {
        return url == null ? null : url.replaceFirst("^(rediss?)://:", "$1://default:");
    }

    /**
     * Brings an add-on an earlier Grid made up to this one: its URL names the user, its cluster
     * gets the keeper's and the replicas' users ({@link #addUsers}), and its nodes this Grid's
     * keeper, one at a time ({@link Clusters#upgradeKeepers}), which then takes the app's user
     * its admin commands.
     */
    @Override
    public Map<String, String> upgrade(Resource resource) throws Exception {
        ClusterKeys keys = new ClusterKeys("redis", resource.internal().get("cluster"));
        addUsers(keys);
        var log = org.slf4j.LoggerFactory.getLogger(RedisProvider.class);
        if (Clusters.upgradeKeepers(platform, keys, RedisDatastore.class)) {
            log.info("redis {}: its nodes are upgraded to this Grid's keeper, one at a time", keys.cluster());
        }
        // Certificates, for the day it spans hosts, as a new cluster has them. Not for one that spans
        // hosts already: its apps would be told rediss:// before its nodes restart to serve it.
        if (!Clusters.spansHosts(platform, keys) && Clusters.addCertificates(platform, keys, () -> tls(keys), java.time.Instant.now())) {
            log.info("redis {}: made by an earlier Grid: it has certificates now, for TLS once its nodes are on more than one host", keys.cluster());
        }
        return upgradedEnv(resource);
    }

    static Map<String, String> upgradedEnv(Resource resource) {
        Map<String, String> env = new LinkedHashMap<>(resource.env());
        if (env.containsKey("REDIS_URL")) env.put("REDIS_URL", upgradedUrl(env.get("REDIS_URL")));
        return env;
    }

    /** The users a cluster an earlier Grid made lacks: the keeper's own and the replicas'. */
    static final List<String> USER_SECRETS = List.of("KEEPER_PASSWORD", "REPLICA_PASSWORD");

    /**
     * A cluster an earlier Grid made signs everyone in with one password (the app's). Before any
     * of its nodes restarts on this Grid's keeper, which makes the replicas sign in as
     * {@value RedisDatastore#REPLICA_USER}, every node still on the old keeper gets that user and
     * the keeper's, live (its old keeper never touches users), and only then the cluster's secrets
     * name them: so an upgraded replica can stream from a primary that is not upgraded yet.
     */
    private void addUsers(ClusterKeys keys) throws Exception {
        Map<String, String> secrets = Clusters.secrets(platform, keys);
        if (secrets.keySet().containsAll(USER_SECRETS)) return;
        Map<String, String> added = new LinkedHashMap<>(secrets);
        for (String name : USER_SECRETS) added.putIfAbsent(name, dev.grid.appliance.Secrets.token(32));
        var members = Clusters.reports(platform, keys);
        for (String m : Clusters.spec(platform, keys).orElseThrow().members()) {
            var node = members.get(m);
            if (node == null || !node.healthy()) throw new IllegalStateException(m + " is not reporting: its users are added once it is");
            for (List<String> command : RedisDatastore.usersFor(added)) {
                List<String> args = new java.util.ArrayList<>(List.of("ACL", "SETUSER"));
                args.addAll(command);
                String reply = command(node.address(), node.port(), secrets.get("PASSWORD"), args.toArray(String[]::new));
                if (!reply.equals("+OK")) throw new IllegalStateException(m + ": ACL SETUSER " + command.get(0) + ": " + reply);
            }
        }
        Clusters.updateSecrets(platform, keys, now -> {
            Map<String, String> next = new LinkedHashMap<>(now);
            for (String name : USER_SECRETS) next.putIfAbsent(name, added.get(name));
            return next;
        });
        org.slf4j.LoggerFactory.getLogger(RedisProvider.class).info("redis {}: made by an earlier Grid: its nodes have the keeper's and the replicas' users now",
                keys.cluster());
    }

    /** One command, signed in with the cluster's one password as an earlier Grid's nodes take it (plain TCP: such clusters have no TLS). */
    private static String command(String host, int port, String password, String... args) throws java.io.IOException {
        try (Resp c = Resp.connect(host, port, null, 5000)) {
            return "+" + c.auth(null, password).call((Object[]) args);
        } catch (Resp.Error e) {
            return "-" + e.getMessage();
        }
    }

    /** {@link RedisSettings}: checked here, kept with the cluster, applied by every node's keeper (a node made later too). */
    @Override
    public Map<String, String> configure(Resource resource, Map<String, String> changes) {
        ClusterKeys keys = new ClusterKeys("redis", resource.internal().get("cluster"));
        return RedisSettings.effective(Clusters.configure(platform, keys, RedisSettings.validate(changes, NODE_MB)));
    }

    /** RDB snapshots ({@link RedisBackups}), kept by the controller as Postgres's dumps are. */
    @Override
    public java.util.Optional<Backups> backups() {
        return java.util.Optional.of(new RedisBackups(platform));
    }

    @Override
    public void deprovision(Resource resource) {
        Clusters.destroy(platform, new ClusterKeys("redis", resource.internal().get("cluster")));
    }

    @Override
    public List<String> services(Resource resource) {
        return List.of(new ClusterKeys("redis", resource.internal().get("cluster")).service());
    }

    @Override
    public Map<String, Object> info(Resource resource) {
        ClusterSpec spec = spec(resource.internal().get("cluster"), Integer.parseInt(resource.internal().get("replicas")));
        Map<String, Object> info = Clusters.describe(platform, spec, Positions.BYTES, PROMISE);
        info.put("settings", RedisSettings.effective(Clusters.settings(platform, spec.keys())));
        return info;
    }
}
