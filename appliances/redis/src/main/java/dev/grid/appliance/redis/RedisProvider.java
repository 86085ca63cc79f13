package dev.grid.appliance.redis;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterSpec;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.Platform;
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
    static final String PROMISE = "Replication is asynchronous. On failover the live replica with the highest replication offset is"
            + " promoted and the old primary rejoins as a replica, dropping what it never replicated. A write confirmed by"
            + " WAIT 1 is on a replica and is not lost as long as that replica lives (with one replica, the default, it is"
            + " the one promoted). While a replica is attached the primary refuses writes no replica acknowledged within "
            + RedisDatastore.MAX_LAG_SECONDS + " s (min-replicas-to-write 1, min-replicas-max-lag " + RedisDatastore.MAX_LAG_SECONDS
            + "), so unconfirmed writes lost by a failover are bounded by that lag; while no replica is alive (after a failover,"
            + " until the old primary rejoins) the primary takes writes alone.";

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
        return new ClusterSpec("redis", addon, Clusters.members(1 + replicas), false);
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
        if (!Clusters.ensure(platform, spec, RedisDatastore.class, List.of("PASSWORD", "KEEPER_PASSWORD", "REPLICA_PASSWORD"), NODE_MB)) {
            throw new IllegalStateException("a Redis cluster named " + addon + " exists already (left by an add-on whose destroy failed):"
                    + " choose another name");
        }
        progress.accept("starting Redis " + addon + " (a primary and " + replicas + " replica(s))");
        Map<String, String> internal = Map.of("cluster", addon, "replicas", String.valueOf(replicas));
        try {
            Clusters.awaitReady(platform.store(), spec, Duration.ofMinutes(2), progress);
        } catch (Exception e) {
            deprovision(new Resource(addon, Map.of(), internal)); // never became ready: leave nothing behind
            throw e;
        }
        Endpoint endpoint = platform.tcpEndpoint(spec.keys().service());
        String password = Clusters.secrets(platform.store(), spec.keys()).get("PASSWORD");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("REDIS_URL", url(password, endpoint.host(), endpoint.port()));
        env.put("REDIS_HOST", endpoint.host());
        env.put("REDIS_PORT", String.valueOf(endpoint.port()));
        env.put("REDIS_PASSWORD", password);
        return new Resource(addon, env, internal);
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
        return url != null && url.startsWith("redis://:") ? "redis://default:" + url.substring("redis://:".length()) : url;
    }

    @Override
    public Map<String, String> upgrade(Resource resource) {
        Map<String, String> env = new LinkedHashMap<>(resource.env());
        if (env.containsKey("REDIS_URL")) env.put("REDIS_URL", upgradedUrl(env.get("REDIS_URL")));
        return env;
    }

    /** {@link RedisSettings}: checked here, kept with the cluster, applied by every node's keeper (a node made later too). */
    @Override
    public Map<String, String> configure(Resource resource, Map<String, String> changes) {
        ClusterKeys keys = new ClusterKeys("redis", resource.internal().get("cluster"));
        return RedisSettings.effective(Clusters.configure(platform.store(), keys, RedisSettings.validate(changes, NODE_MB)));
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
        Map<String, Object> info = Clusters.describe(platform.store(), spec, PROMISE);
        info.put("settings", RedisSettings.effective(Clusters.settings(platform.store(), spec.keys())));
        return info;
    }
}
