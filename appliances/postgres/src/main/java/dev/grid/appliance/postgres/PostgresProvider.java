package dev.grid.appliance.postgres;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterSpec;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.Command;
import dev.grid.appliance.Positions;
import dev.grid.appliance.NodeReport;
import dev.grid.appliance.Platform;
import dev.grid.appliance.Platform.Endpoint;
import dev.grid.appliance.Provider;
import dev.grid.appliance.Secrets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Provisions Postgres add-ons on the shared cluster: each gets a database, and a role that
 * owns it and may connect to nothing else ({@code CONNECT} is revoked from {@code PUBLIC}).
 * Apps reach the primary through the cluster's leader-routed TCP route.
 */
public final class PostgresProvider implements Provider, AutoCloseable {
    static final String PLAN = "shared";
    static final ClusterSpec CLUSTER = new ClusterSpec("postgres", "main", Clusters.members(3), true);
    static final ClusterKeys KEYS = CLUSTER.keys();
    static final String PROMISE = "Writes are acknowledged only once the synchronous replica has them; on failover only that replica,"
            + " known to be caught up, is promoted, so no acknowledged write is lost. If the primary and the sync are both lost,"
            + " the cluster waits for one of them rather than promote the asynchronous replica.";

    /**
     * The connections one add-on's role may hold at once, the shared plan's limit (as Heroku's
     * smallest plans: 20), so that no tenant takes the cluster's {@value #MAX_CONNECTIONS}.
     */
    static final int CONNECTION_LIMIT = 20;
    static final int MAX_CONNECTIONS = 100;
    /** A dump or a restore of a large database takes long; this only bounds a hung one. */
    private static final Duration TOOL_TIMEOUT = Duration.ofHours(6);
    private final Platform platform;
    private final PgArchive archive;
    /** Why this Grid keeps no archive, or null. */
    private final String archiveOff;

    PostgresProvider(Platform platform) {
        this.platform = platform;
        Map<String, String> repo = Map.of();
        String off = PgArchive.enabled(System.getenv()) ? null : "this Grid keeps no archive (GRID_PG_ARCHIVE=off)";
        try {
            repo = PgArchive.operatorRepo(System.getenv());
        } catch (IllegalArgumentException e) {
            off = "this Grid keeps no archive: " + e.getMessage();
            org.slf4j.LoggerFactory.getLogger(PostgresProvider.class).error("postgres archive: off: {}", e.getMessage());
        }
        PgArchive archive = new PgArchive(platform, KEYS, PgArchive.baseBackupEvery(System.getenv()), repo);
        this.archiveOff = off;
        this.archive = off == null ? archive.start() : archive;
    }

    @Override
    public void close() {
        archive.close();
    }

    /**
     * {@code rollback ADDON} with {@code to TIME}: the new add-on holds ADDON's database as it was
     * then; {@code fork ADDON}: as it is now (Heroku's {@code --rollback} and {@code --fork}).
     */
    @Override
    public List<String> options() {
        return List.of("rollback", "fork", "to");
    }

    /** An add-on's database (and its owner role): its name with dashes as underscores. */
    static String database(String addon) {
        return addon.replace('-', '_');
    }

    /** What a rollback or fork copies: the source's database, and the moment (null: now). */
    record Source(String database, java.time.Instant at) {}

    /** The source named by {@code options}, checked before anything is made; null for a new, empty database. */
    Source source(Map<String, String> options) throws SQLException {
        String rollback = options.get("rollback"), fork = options.get("fork"), to = options.get("to");
        if (rollback != null && fork != null) throw new IllegalArgumentException("name --rollback ADDON or --fork ADDON, not both");
        if (rollback == null && fork == null) {
            if (to != null) throw new IllegalArgumentException("--to goes with --rollback ADDON");
            return null;
        }
        if (rollback != null && to == null) throw new IllegalArgumentException("--rollback " + rollback + " needs --to TIME (e.g. --to '2026-12-07 09:30 UTC')");
        if (fork != null && to != null) throw new IllegalArgumentException("--fork copies the database as it is now: for another moment use --rollback " + fork + " --to TIME");
        String from = rollback != null ? rollback : fork;
        String database = database(from);
        try (Connection c = superuser(primary()); var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new IllegalArgumentException("no Postgres add-on named " + from + " on this cluster: see grid addons");
            }
        }
        return new Source(database, to == null ? null : PgBackRest.parseTime(to));
    }

    @Override
    public List<String> plans() {
        return List.of(PLAN);
    }

    @Override
    public Resource provision(String addon, String plan, Map<String, String> options, Consumer<String> progress) throws Exception {
        NodeReport primary = ensureCluster(progress);
        Source source = source(options);
        if (source != null) archive.check(source.at());
        Endpoint endpoint = platform.tcpEndpoint(KEYS.service());
        String name = database(addon);
        String password = Secrets.token(32);
        try (Connection c = superuser(primary); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + ident(name) + " LOGIN CONNECTION LIMIT " + CONNECTION_LIMIT + " PASSWORD " + PostgresDatastore.literal(password));
            st.execute("CREATE DATABASE " + ident(name) + " OWNER " + ident(name));
            st.execute("REVOKE ALL ON DATABASE " + ident(name) + " FROM PUBLIC");
        }
        Resource made = new Resource(name, PgEnv.of(name, password, endpoint.host(), endpoint.port()), Map.of("database", name, "role", name));
        if (source != null) {
            java.nio.file.Path dump = java.nio.file.Files.createTempFile("grid-pg-" + name, ".dump");
            try {
                archive.restore(source.database(), source.at(), dump, progress);
                progress.accept("restoring it into " + name);
                backups().orElseThrow().restore(made, dump);
            } catch (Exception e) {
                deprovision(made); // all or nothing: no half-copied add-on stays
                throw e;
            } finally {
                java.nio.file.Files.deleteIfExists(dump);
            }
        }
        return new Resource(name, currentEnv(made), made.internal());
    }

    /** The cluster's certificates: its server's names where apps reach it (the route's host), for clients that check names. */
    private Clusters.Tls tls() {
        return new Clusters.Tls(KEYS.service(), List.of(platform.tcpEndpoint(KEYS.service()).host()), List.of(PgAccess.SUPERUSER, PgAccess.REPLICATION));
    }

    /** Re-issues the cluster's certificates before they end ({@link Clusters#renewTls}). */
    private void renewTls() {
        if (Clusters.renewTls(platform, KEYS, this::tls, java.time.Instant.now())) {
            org.slf4j.LoggerFactory.getLogger(PostgresProvider.class).info("postgres: the cluster's certificates were re-issued");
        }
    }

    /** Starts the shared cluster on first use and waits until it can acknowledge writes safely. */
    private NodeReport ensureCluster(Consumer<String> progress) throws Exception {
        if (Clusters.ensure(platform, CLUSTER, PostgresDatastore.class, List.of("SUPERUSER_PASSWORD", "REPLICATION_PASSWORD"), 256, tls())) {
            progress.accept("starting the shared Postgres cluster (3 nodes: primary, sync, async); the first add-on waits for it");
        }
        return Clusters.awaitReady(platform, CLUSTER, Duration.ofMinutes(3), progress);
    }

    /**
     * The superuser on the primary: its password and, on a cluster with certificates, its client
     * certificate ({@link PgAccess}), handed to the driver in files of a private directory that
     * lives only while the connection is made.
     */
    private Connection superuser(NodeReport primary) throws SQLException {
        return superuser(primary, "postgres");
    }

    /** The superuser on the primary, in {@code database}. */
    private Connection superuser(NodeReport primary, String database) throws SQLException {
        Map<String, String> secrets = Clusters.secrets(platform, KEYS);
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", PgAccess.SUPERUSER);
        props.setProperty("password", secrets.get("SUPERUSER_PASSWORD"));
        String url = "jdbc:postgresql://" + primary.address() + ":" + primary.port() + "/" + database;
        if (!PgAccess.tls(secrets)) return DriverManager.getConnection(url, props);
        java.nio.file.Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory("grid-pg-tls", java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            java.nio.file.Files.writeString(dir.resolve("ca.crt"), secrets.get(Clusters.TLS_CA));
            java.nio.file.Files.writeString(dir.resolve("grid.crt"), secrets.get(Clusters.tlsClientCert(PgAccess.SUPERUSER)));
            // The driver, like libpq, refuses a key file that others may read.
            java.nio.file.Path key = java.nio.file.Files.createFile(dir.resolve("grid.pk8"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            java.nio.file.Files.write(key, dev.grid.appliance.ClusterCa.pkcs8Der(secrets.get(Clusters.tlsClientKey(PgAccess.SUPERUSER))));
            props.setProperty("sslmode", "verify-ca");
            props.setProperty("sslrootcert", dir.resolve("ca.crt").toString());
            props.setProperty("sslcert", dir.resolve("grid.crt").toString());
            props.setProperty("sslkey", dir.resolve("grid.pk8").toString());
            return DriverManager.getConnection(url, props);
        } catch (java.io.IOException e) {
            throw new SQLException("cannot write the superuser's certificate for the driver: " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                try (var files = java.nio.file.Files.list(dir)) {
                    for (java.nio.file.Path f : files.toList()) java.nio.file.Files.deleteIfExists(f);
                    java.nio.file.Files.deleteIfExists(dir);
                } catch (java.io.IOException ignored) {
                    // the temporary directory is the controller's own, 0700
                }
            }
        }
    }

    private NodeReport primary() {
        return Clusters.servingPrimary(platform, KEYS);
    }

    @Override
    public void deprovision(Resource resource) throws Exception {
        String name = resource.internal().get("database");
        try (Connection c = superuser(primary()); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + ident(name) + " WITH (FORCE)");
            // The logins rotations made (members of the owner role) go with it.
            for (String login : rotatedLogins(c, name)) st.execute("DROP ROLE IF EXISTS " + ident(login));
            st.execute("DROP ROLE IF EXISTS " + ident(name));
        }
    }

    @Override
    public List<String> services(Resource resource) {
        return List.of(KEYS.service());
    }

    @Override
    public Map<String, Object> info(Resource resource) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("database", resource.internal().get("database"));
        info.put("connections", connections(login(resource)));
        info.put("rollback", rollbackWindow());
        info.putAll(Clusters.describe(platform, CLUSTER, Positions.BYTES, PROMISE));
        return info;
    }

    /** What {@code pg:info} says of the archive: since when a rollback or fork can reach. */
    private String rollbackWindow() {
        if (!archive.on()) return "off: " + (archiveOff != null ? archiveOff : "this Grid keeps no archive");
        try {
            PgArchive.Window w = archive.window();
            if (w == null) return "not yet: the first base backup of the archive is being taken";
            return "available since " + w.since() + " (WAL archived within " + PgBackRest.ARCHIVE_TIMEOUT_SECONDS + " s; " + w.backups()
                    + " base backup(s), the newest " + w.newestBackup() + ")";
        } catch (Exception e) {
            return "unknown: " + e.getMessage();
        }
    }

    /** "N of LIMIT": the role's connections now, and what it may hold. */
    private String connections(String role) {
        try (Connection c = superuser(primary());
             var ps = c.prepareStatement("SELECT (SELECT count(*) FROM pg_stat_activity WHERE usename = ?), rolconnlimit FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            ps.setString(2, role);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) return "unknown: no role " + role;
                int limit = rs.getInt(2);
                return rs.getLong(1) + " of " + (limit < 0 ? "no limit" : String.valueOf(limit)) + " (the cluster takes " + MAX_CONNECTIONS + " in all)";
            }
        } catch (SQLException | RuntimeException e) {
            return "unknown: " + e.getMessage();
        }
    }

    /** A role an earlier Grid made without a connection limit gets the plan's; a limit an operator set stays. */
    @Override
    public Map<String, String> upgrade(Resource resource) throws Exception {
        var log = org.slf4j.LoggerFactory.getLogger(PostgresProvider.class);
        if (Clusters.upgradeKeepers(platform, CLUSTER.keys(), PostgresDatastore.class)) {
            log.info("postgres: the shared cluster's nodes are upgraded to this Grid's keeper, one at a time");
        }
        // An earlier Grid's cluster: certificates (and so today's pg_hba), once its nodes run this keeper.
        if (Clusters.addCertificates(platform, KEYS, this::tls, java.time.Instant.now())) {
            log.info("postgres: the shared cluster an earlier Grid made has certificates now: its superuser and replication sign in by them alone");
        }
        String role = resource.internal().get("role");
        try (Connection c = superuser(primary()); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT rolconnlimit FROM pg_roles WHERE rolname = " + PostgresDatastore.literal(role))) {
            if (rs.next() && rs.getInt(1) < 0) {
                try (Statement alter = c.createStatement()) {
                    alter.execute("ALTER ROLE " + ident(role) + " CONNECTION LIMIT " + CONNECTION_LIMIT);
                }
            }
        }
        return resource.env();
    }

    /** TLS once the cluster has spanned hosts ({@link PgEnv#withTls}), on a cluster with certificates. */
    @Override
    public Map<String, String> currentEnv(Resource resource) {
        renewTls();
        Map<String, String> secrets = Clusters.secrets(platform, KEYS);
        boolean tls = PgAccess.tls(secrets) && Clusters.spansHosts(platform, KEYS);
        return PgEnv.withTls(resource.env(), tls, secrets.get(Clusters.TLS_CA));
    }

    @Override
    public java.util.Optional<Backups> backups() {
        return java.util.Optional.of(new Backups() {
            @Override
            public String fileFormat() {
                return "a pg_dump custom-format file (pg_dump -Fc)";
            }

            @Override
            public void dump(Resource r, java.nio.file.Path to) throws Exception {
                tool(r, "pg_dump", "--format=custom", "--no-owner", "--file=" + to);
            }

            @Override
            public void restore(Resource r, java.nio.file.Path from) throws Exception {
                try {
                    tool(null, "pg_restore", "--list", from.toString());
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("the backup is not a valid pg_dump archive, so nothing was restored ("
                            + e.getMessage().lines().reduce((a, b) -> b).orElse("") + ")");
                }
                // One transaction: a restore that fails part-way leaves the database as it was.
                tool(r, "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                        "--exit-on-error", from.toString());
            }
        });
    }

    /** The role the resource's apps sign in as: its own (the database's owner) until its credentials are rotated. */
    static String login(Resource r) {
        return r.internal().getOrDefault("login", r.internal().get("role"));
    }

    /**
     * pg:credentials:rotate. The database's owner role stays what owns the data; each rotation
     * makes a login role that is a member of it and takes it at sign-in ({@code ALTER ROLE ... SET
     * role}), so what the app creates is the owner's, and the next rotation's login reads it too.
     * Retiring takes every other login's password and LOGIN away, the owner's included, and ends
     * their sessions.
     */
    @Override
    public java.util.Optional<Credentials> credentials() {
        return java.util.Optional.of(new Credentials() {
            @Override
            public Resource rotate(Resource r) throws Exception {
                String owner = r.internal().get("role");
                String database = r.internal().get("database");
                String login = owner + "_" + Secrets.token(6).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "x");
                String password = Secrets.token(32);
                try (Connection c = superuser(primary()); Statement st = c.createStatement()) {
                    st.execute("CREATE ROLE " + ident(login) + " LOGIN CONNECTION LIMIT " + CONNECTION_LIMIT + " PASSWORD " + PostgresDatastore.literal(password)
                            + " IN ROLE " + ident(owner));
                    st.execute("ALTER ROLE " + ident(login) + " SET role = " + PostgresDatastore.literal(owner));
                }
                Endpoint endpoint = platform.tcpEndpoint(KEYS.service());
                Map<String, String> internal = new LinkedHashMap<>(r.internal());
                internal.put("login", login);
                Resource rotated = new Resource(r.id(), PgEnv.of(login, password, database, endpoint.host(), endpoint.port()), internal);
                return new Resource(r.id(), currentEnv(rotated), internal);
            }

            @Override
            public void retire(Resource current) throws Exception {
                String owner = current.internal().get("role");
                String keep = login(current);
                try (Connection c = superuser(primary()); Statement st = c.createStatement()) {
                    List<String> retired = new ArrayList<>(rotatedLogins(c, owner));
                    retired.add(owner);
                    retired.remove(keep);
                    for (String role : retired) {
                        st.execute("ALTER ROLE " + ident(role) + " NOLOGIN PASSWORD NULL");
                        st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = " + PostgresDatastore.literal(role));
                    }
                }
            }
        });
    }

    /** The login roles rotations made for the database's {@code owner}: its members. */
    private static List<String> rotatedLogins(Connection c, String owner) throws SQLException {
        List<String> logins = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT m.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles o ON o.oid = a.roleid"
                + " WHERE o.rolname = ?")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) logins.add(rs.getString(1));
            }
        }
        return logins;
    }

    /** pg:ps, pg:locks and pg:kill: heroku-pg-extras' queries, on the resource's own database only. */
    @Override
    public java.util.Optional<Sessions> sessions() {
        return java.util.Optional.of(new Sessions() {
            @Override
            public List<Map<String, Object>> list(Resource r) throws Exception {
                return rows(r, "SELECT pid, state, application_name AS source, usename AS user,"
                        + " COALESCE(extract(epoch FROM now() - query_start)::int, 0) AS seconds, wait_event_type IS NOT NULL AS waiting, query"
                        + " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                        + " ORDER BY query_start NULLS LAST");
            }

            @Override
            public List<Map<String, Object>> locks(Resource r) throws Exception {
                return rows(r, "SELECT a.pid, c.relname AS relation, l.transactionid::text AS transaction, l.granted, l.mode,"
                        + " left(a.query, 60) AS query, COALESCE(extract(epoch FROM now() - a.query_start)::int, 0) AS seconds"
                        + " FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid LEFT JOIN pg_class c ON l.relation = c.oid"
                        + " WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND l.mode LIKE '%ExclusiveLock'"
                        + " ORDER BY a.query_start, a.pid");
            }

            @Override
            public void kill(Resource r, long pid, boolean terminate) throws Exception {
                String fn = terminate ? "pg_terminate_backend" : "pg_cancel_backend";
                // Only a session of this database: a tenant's PID never reaches another tenant's session.
                try (Connection c = superuser(primary(), r.internal().get("database"));
                     var st = c.prepareStatement("SELECT " + fn + "(pid) FROM pg_stat_activity WHERE pid = ? AND datname = current_database()"
                             + " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
                    st.setLong(1, pid);
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) throw new IllegalArgumentException("no session " + pid + " in this add-on's database: grid pg:ps lists them");
                    }
                }
            }

            private List<Map<String, Object>> rows(Resource r, String sql) throws SQLException {
                List<Map<String, Object>> out = new ArrayList<>();
                try (Connection c = superuser(primary(), r.internal().get("database")); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                    var meta = rs.getMetaData();
                    while (rs.next()) {
                        Map<String, Object> row = new java.util.LinkedHashMap<>();
                        for (int i = 1; i <= meta.getColumnCount(); i++) row.put(meta.getColumnLabel(i), rs.getObject(i));
                        out.add(row);
                    }
                }
                return out;
            }
        });
    }

    /** Runs a Postgres client tool on this machine against the resource's database on the primary. */
    private void tool(Resource r, String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool));
        if (r != null) {
            NodeReport p = primary();
            cmd.addAll(List.of("--host=" + p.address(), "--port=" + p.port(), "--username=" + login(r),
                    "--dbname=" + r.internal().get("database")));
        }
        cmd.addAll(List.of(args));
        try {
            Map<String, String> env = new java.util.HashMap<>();
            if (r != null) env.put("PGPASSWORD", r.env().get("PGPASSWORD"));
            if (r != null && r.env().containsKey("PGSSLMODE")) env.put("PGSSLMODE", r.env().get("PGSSLMODE"));
            Command.run(cmd, env, TOOL_TIMEOUT);
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalStateException(tool + " is not installed on the controller's machine: apt-get install postgresql-client");
        }
    }

    static String ident(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

}
