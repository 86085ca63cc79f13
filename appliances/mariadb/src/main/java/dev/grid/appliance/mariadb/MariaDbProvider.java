package dev.grid.appliance.mariadb;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterSpec;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Provider;
import dev.grid.appliance.Secrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Add-ons on one shared MariaDB cluster (three nodes: primary, sync, async): each a database and
 * a user allowed that database alone, signed in by password through the cluster's TCP route.
 */
final class MariaDbProvider implements Provider {
    static final ClusterSpec CLUSTER = new ClusterSpec("mariadb", "main", Clusters.members(3), true);
    static final ClusterKeys KEYS = CLUSTER.keys();
    static final String PLAN = "shared";
    static final String PROMISE = "semi-synchronous replication (AFTER_SYNC, no timeout): a commit is acknowledged once the sync has it, "
            + "and a failover promotes only a sync known to hold every acknowledged commit";
    /** Each add-on's user may hold this many connections at once, so one tenant cannot take the cluster's. */
    static final int CONNECTION_LIMIT = 50;

    private final Platform platform;

    MariaDbProvider(Platform platform) {
        this.platform = platform;
    }

    @Override
    public List<String> plans() {
        return List.of(PLAN);
    }

    @Override
    public Resource provision(String addon, String plan, Map<String, String> options, Consumer<String> progress) throws Exception {
        if (Clusters.ensure(platform, CLUSTER, MariaDbDatastore.class, List.of("KEEPER_PASSWORD", "REPLICATION_PASSWORD"), 512)) {
            progress.accept("starting the shared MariaDB cluster (3 nodes: primary, sync, async); the first add-on waits for it");
        }
        NodeReport primary = Clusters.awaitReady(platform, CLUSTER, Duration.ofMinutes(3), progress);
        var endpoint = platform.tcpEndpoint(KEYS.service());
        String name = addon.replace('-', '_');
        String password = Secrets.token(32);
        sql(primary, "CREATE DATABASE " + ident(name) + "; CREATE USER " + user(name) + " IDENTIFIED BY " + MariaDbDatastore.literal(password)
                + " WITH MAX_USER_CONNECTIONS " + CONNECTION_LIMIT + "; GRANT ALL ON " + ident(name) + ".* TO " + user(name));
        return new Resource(name, env(name, password, endpoint.host(), endpoint.port()), Map.of("database", name));
    }

    /** An add-on's config: Heroku's DATABASE_URL and JDBC_DATABASE_*, and MySQL's own variables. */
    static Map<String, String> env(String name, String password, String host, int port) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DATABASE_URL", "mysql://" + name + ":" + password + "@" + host + ":" + port + "/" + name);
        env.put("JDBC_DATABASE_URL", "jdbc:mariadb://" + host + ":" + port + "/" + name);
        env.put("JDBC_DATABASE_USERNAME", name);
        env.put("JDBC_DATABASE_PASSWORD", password);
        env.put("MYSQL_HOST", host);
        env.put("MYSQL_PORT", String.valueOf(port));
        env.put("MYSQL_USER", name);
        env.put("MYSQL_PASSWORD", password);
        env.put("MYSQL_DATABASE", name);
        return env;
    }

    @Override
    public void deprovision(Resource resource) throws Exception {
        String name = resource.internal().get("database");
        sql("DROP DATABASE IF EXISTS " + ident(name) + "; DROP USER IF EXISTS " + user(name));
    }

    @Override
    public Map<String, Object> info(Resource resource) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("database", resource.internal().get("database"));
        info.putAll(Clusters.describe(platform, CLUSTER, MariaDbDatastore.POSITIONS, PROMISE));
        return info;
    }

    /** At every controller start: the cluster's nodes get this Grid's keeper, one at a time (Clusters.upgradeKeepers). */
    @Override
    public Map<String, String> upgrade(Resource resource) throws Exception {
        Clusters.upgradeKeepers(platform, KEYS, MariaDbDatastore.class);
        return resource.env();
    }

    @Override
    public List<String> services(Resource resource) {
        return List.of(KEYS.service());
    }

    @Override
    public java.util.Optional<Backups> backups() {
        return java.util.Optional.of(new MariaDbBackups(this));
    }

    /** Runs SQL on the serving primary as the keepers' user (the password in the environment, never in arguments or messages). */
    String sql(String sql) throws Exception {
        return sql(null, sql);
    }

    private String sql(NodeReport primary, String sql) throws Exception {
        List<String> options = new ArrayList<>(at(primary, MariaDbDatastore.KEEPER));
        options.addAll(List.of("-N", "-B"));
        return MariaDbDatastore.mariadb(options, keeperPassword(), sql, Duration.ofMinutes(1));
    }

    /** A client's options that reach {@code primary} (null: the serving one) as {@code user}. */
    List<String> at(NodeReport primary, String user) {
        NodeReport p = primary != null ? primary : Clusters.servingPrimary(platform, KEYS);
        return List.of("-h", p.address(), "-P", String.valueOf(p.port()), "-u", user);
    }

    String keeperPassword() {
        return Clusters.secrets(platform, KEYS).get("KEEPER_PASSWORD");
    }

    static String ident(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    static String user(String name) {
        return MariaDbDatastore.literal(name) + "@'%'";
    }
}
