package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.host.Docker.Container;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.testing.Eventually;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Postgres appliance end to end: a real three-node cluster in containers on three
 * loopback hosts, reached through the router's leader TCP route with real JDBC and psql.
 * One cluster is shared by every test here (it takes a while to start); the tests run in
 * order because the chaos test kills primaries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresApplianceTest {
    static final ClusterKeys KEYS = new ClusterKeys("postgres", "main");
    static final int CHAOS_ROUNDS = Integer.getInteger("grid.chaos.rounds", 5);
    TestCluster grid;
    TestApi api;

    /** The archive's repository: S3-compatible storage, as an operator points it there (AttackTest has Grid's own directory). */
    S3rver s3;

    @BeforeAll
    void start() throws Exception {
        s3 = S3rver.start();
        grid = TestCluster.archivingTo(s3.repoConf(), 4);
        api = grid.api;
        grid.startHosts(3);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            grid.close();
        } finally {
            s3.close();
        }
    }

    ClusterState state() {
        return Clusters.state(grid.store, KEYS).orElse(null);
    }

    Map<String, NodeReport> reports() {
        return Clusters.reports(grid.store, KEYS);
    }

    /** Everything settled: a caught-up sync, every node reporting in the current generation, nobody deposed. */
    boolean settled() {
        ClusterState s = state();
        if (s == null || !s.syncReady() || !s.deposed().isEmpty()) return false;
        Map<String, NodeReport> r = reports();
        for (String n : List.of("n0", "n1", "n2")) {
            NodeReport nr = r.get(n);
            if (nr == null || nr.generation() != s.generation()) return false;
            if (!n.equals(s.primary()) && !nr.isReplicaOf(s.primary())) return false;
        }
        return true;
    }

    /** The last lines each node's keeper wrote, in each of its containers (an exited one too), for a failure's message. */
    String nodeLogs() {
        StringBuilder b = new StringBuilder();
        for (String n : List.of("n0", "n1", "n2")) {
            try {
                Process ps = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=grid.app=" + KEYS.app(), "--filter", "label=grid.type=" + n)
                        .redirectErrorStream(true).start();
                for (String id : new String(ps.getInputStream().readAllBytes()).strip().split("\\s+")) {
                    if (id.isBlank()) continue;
                    Process logs = new ProcessBuilder("docker", "logs", "--tail", "25", id).redirectErrorStream(true).start();
                    b.append("--- ").append(n).append(' ').append(id).append('\n').append(new String(logs.getInputStream().readAllBytes()));
                }
            } catch (java.io.IOException e) {
                b.append("--- ").append(n).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return b.toString();
    }

    Container container(String node) {
        return grid.nodeContainer(KEYS, node);
    }

    /** Whether a session on this JDBC URL is encrypted, as the server sees it ("t" or "f"). */
    static String sessionSsl(String jdbcUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1) ? "t" : "f";
        }
    }

    static String caFile(Map<String, String> env) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("grid-ca", ".crt");
            java.nio.file.Files.writeString(f, env.get("DATABASE_CA_CERT"));
            f.toFile().deleteOnExit();
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static java.math.BigInteger served(String host, int port) {
        try {
            return servedCertificate(host, port);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The serial of the certificate a Postgres node serves now (after the SSLRequest of its protocol). */
    static java.math.BigInteger servedCertificate(String host, int port) throws Exception {
        try (java.net.Socket plain = new java.net.Socket(host, port)) {
            plain.setSoTimeout(5000);
            var out = new java.io.DataOutputStream(plain.getOutputStream());
            out.writeInt(8);
            out.writeInt(80877103);
            out.flush();
            if (plain.getInputStream().read() != 'S') throw new AssertionError("no TLS offered");
            return TestCluster.servedCertificate(plain, host, port);
        }
    }

    @Test
    @Order(3)
    void certificatesNearTheirEndAreReissuedAndTakenByTheNodesWithoutARestart() throws Exception {
        var entry = grid.store.get(KEYS.secrets()).orElseThrow();
        Map<String, String> secrets = Clusters.secrets(grid.store, KEYS);
        // As if a year had passed: the cluster's certificates end in 30 days.
        dev.grid.appliance.ClusterCa ca = dev.grid.appliance.ClusterCa.of(grid.store);
        Map<String, String> ending = new java.util.LinkedHashMap<>(secrets);
        var server = ca.issue(KEYS.service(), true, List.of("127.0.0.1"), Duration.ofDays(30));
        ending.put(Clusters.TLS_SERVER_CERT, server.certPem());
        ending.put(Clusters.TLS_SERVER_KEY, server.keyPem());
        assertTrue(grid.store.txn().ifUnchanged(KEYS.secrets(), entry.modRevision()).put(KEYS.secrets(), ending).commit());
        java.math.BigInteger endingSerial = dev.grid.appliance.ClusterCa.certificate(server.certPem()).getSerialNumber();
        NodeReport primary = Clusters.servingPrimary(grid.store, KEYS);
        Eventually.await("the primary serves the certificate that ends soon", Duration.ofSeconds(30),
                () -> served(primary.address(), primary.port()), endingSerial::equals);
        String renewed = Eventually.await("the controller re-issues them", Duration.ofSeconds(45),
                () -> Clusters.secrets(grid.store, KEYS).get(Clusters.TLS_SERVER_CERT), pem -> !pem.equals(server.certPem()));
        java.security.cert.X509Certificate now = dev.grid.appliance.ClusterCa.certificate(renewed);
        assertTrue(now.getNotAfter().toInstant().isAfter(java.time.Instant.now().plus(Duration.ofDays(300))), "a year again");
        assertEquals(secrets.get("SUPERUSER_PASSWORD"), Clusters.secrets(grid.store, KEYS).get("SUPERUSER_PASSWORD"), "passwords stay");
        for (NodeReport n : reports().values()) {
            Eventually.await(n.id() + " serves the new certificate", Duration.ofSeconds(30),
                    () -> served(n.address(), n.port()), now.getSerialNumber()::equals);
        }
        assertEquals(primary.incarnation(), Clusters.servingPrimary(grid.store, KEYS).incarnation(), "no node restarted");
        try (Connection c = connect(api.config("shop")); Statement st = c.createStatement()) {
            st.execute("INSERT INTO orders VALUES (100, 'after the renewal')"); // acknowledged: the sync replica still streams
        }
        Map<String, String> fresh = Clusters.secrets(grid.store, KEYS);
        assertEquals("connected: true", signIn(primary.address(), primary.port(), "grid", fresh.get("SUPERUSER_PASSWORD"), "verify-ca",
                clusterCert(fresh, "grid"), fresh.get(Clusters.TLS_CA), false, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"),
                "Grid's own signs in with its new certificate");
    }

    @Test
    @Order(4)
    void aYearBeforeGridsCaEndsANewOneJoinsEveryBundleAndTheAppsConfigWhileTheOldOneStillIssues() throws Exception {
        // As if nine years had passed: Grid's one CA ends in 200 days, and the cluster's certificates are its.
        dev.grid.appliance.ClusterCa old = dev.grid.appliance.ClusterCa.create("Grid appliance CA (ending)", Duration.ofDays(200), java.time.Instant.now());
        grid.store.put(dev.grid.appliance.ClusterCa.KEY, Map.of("cas", List.of(Map.of("cert", old.certPem(), "key", old.keyPem()))));
        var entry = grid.store.get(KEYS.secrets()).orElseThrow();
        Map<String, String> secrets = new java.util.LinkedHashMap<>(Clusters.secrets(grid.store, KEYS));
        secrets.putAll(Clusters.tlsSecrets(old, new Clusters.Tls(KEYS.service(), List.of("127.0.0.1"), List.of("grid", "replicator"))));
        assertTrue(grid.store.txn().ifUnchanged(KEYS.secrets(), entry.modRevision()).put(KEYS.secrets(), secrets).commit());
        java.math.BigInteger oldIssued = dev.grid.appliance.ClusterCa.certificate(secrets.get(Clusters.TLS_SERVER_CERT)).getSerialNumber();

        Map<String, String> config = Eventually.await("the app's CA config to hold the old CA and a new one", Duration.ofSeconds(45),
                () -> api.config("shop"), c -> dev.grid.appliance.ClusterCa.certificates(c.getOrDefault("DATABASE_CA_CERT", "")).size() == 2);
        List<java.security.cert.X509Certificate> bundle = dev.grid.appliance.ClusterCa.certificates(config.get("DATABASE_CA_CERT"));
        assertEquals(old.certificate(), bundle.get(0));
        assertTrue(bundle.get(1).getNotAfter().toInstant().isAfter(java.time.Instant.now().plus(Duration.ofDays(3000))), "a new ten-year CA");
        assertEquals(config.get("DATABASE_CA_CERT"), Clusters.secrets(grid.store, KEYS).get(Clusters.TLS_CA), "the nodes trust the same bundle");
        assertEquals(oldIssued, dev.grid.appliance.ClusterCa.certificate(Clusters.secrets(grid.store, KEYS).get(Clusters.TLS_SERVER_CERT)).getSerialNumber(),
                "the certificates stay the old CA's: the new one issues only once every client has had it for a month");
        for (NodeReport n : reports().values()) {
            Eventually.await(n.id() + " still serves its certificate", Duration.ofSeconds(30), () -> served(n.address(), n.port()), oldIssued::equals);
        }
        assertEquals("t", sessionSsl(config.get("JDBC_DATABASE_URL").replace("sslmode=require", "sslmode=verify-ca&sslrootcert=" + caFile(config))),
                "a client checking the server with the app's bundle gets in");
        try (Connection c = connect(config); Statement st = c.createStatement()) {
            st.execute("INSERT INTO orders VALUES (101, 'during the rotation')"); // acknowledged: the sync replica still streams
        }
    }

    @Test
    @Order(3)
    void anAddonMadeInPlaintextGetsTlsByANewReleaseOnceItsClusterSpansHosts() throws Exception {
        // As an earlier Grid made it: plaintext URLs, no CA, in the add-on's record and the app's config.
        Map<String, String> tls = api.config("other");
        Map<String, String> plain = new java.util.HashMap<>();
        for (String k : List.of("DATABASE_URL", "JDBC_DATABASE_URL")) plain.put(k, tls.get(k).replaceAll("[?&]sslmode=require$", ""));
        var set = api.cli("config:set", "-a", "other", "DATABASE_URL=" + plain.get("DATABASE_URL"), "JDBC_DATABASE_URL=" + plain.get("JDBC_DATABASE_URL"));
        assertEquals(0, set.exitCode(), set.err());
        assertEquals(0, api.cli("config:unset", "-a", "other", "PGSSLMODE", "DATABASE_CA_CERT").exitCode());
        var entry = grid.store.get("addons/other-db").orElseThrow();
        dev.grid.controller.domain.Addon a = entry.as(dev.grid.controller.domain.Addon.class);
        Map<String, String> env = new java.util.HashMap<>(a.env());
        env.putAll(plain);
        env.remove("PGSSLMODE");
        env.remove("DATABASE_CA_CERT");
        Map<String, String> attached = new java.util.HashMap<>(a.attachments().get("other"));
        attached.putAll(plain);
        attached.remove("PGSSLMODE");
        attached.remove("DATABASE_CA_CERT");
        assertTrue(grid.store.txn().ifUnchanged("addons/other-db", entry.modRevision()).put("addons/other-db", new dev.grid.controller.domain.Addon(
                a.name(), a.provider(), a.plan(), a.resourceId(), env, a.internal(), Map.of("other", attached), a.createdAt(), a.aliases())).commit());
        assertFalse(api.config("other").get("JDBC_DATABASE_URL").contains("sslmode"), "no TLS asked for, as it was");

        Map<String, String> now = Eventually.await("the controller gives other its TLS config", Duration.ofSeconds(45), () -> api.config("other"),
                c -> c.getOrDefault("DATABASE_URL", "").endsWith("sslmode=require") && c.containsKey("DATABASE_CA_CERT"));
        assertEquals(tls.get("JDBC_DATABASE_URL"), now.get("JDBC_DATABASE_URL"));
        assertEquals("require", now.get("PGSSLMODE"));
        assertEquals("t", sessionSsl(now.get("JDBC_DATABASE_URL")));
        var detached = grid.store.get("addons/other-db", dev.grid.controller.domain.Addon.class).orElseThrow().attachments().get("other");
        assertTrue(detached.containsKey("DATABASE_CA_CERT"), "the new vars are the attachment's: detach removes them too");
    }

    static Connection connect(Map<String, String> env) throws SQLException {
        return DriverManager.getConnection(env.get("JDBC_DATABASE_URL"));
    }

    @Test
    @Order(1)
    void provisionAttachesCredentialsThatWorkWithJdbcAndPsql() throws Exception {
        assertEquals(0, api.cli("apps:create", "shop").exitCode());
        var created = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-db");
        assertEquals(0, created.exitCode(), created.err());
        Map<String, String> env = api.config("shop");
        for (String k : List.of("DATABASE_URL", "JDBC_DATABASE_URL", "JDBC_DATABASE_USERNAME", "JDBC_DATABASE_PASSWORD",
                "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")) {
            assertTrue(env.containsKey(k), k + " in " + env.keySet());
        }
        assertTrue(env.get("DATABASE_URL").startsWith("postgres://shop_db:"), env.get("DATABASE_URL"));
        // The nodes are on three hosts, so the add-on's traffic leaves machines: TLS, with the CA to check the server by.
        assertTrue(env.get("DATABASE_URL").endsWith("?sslmode=require") && env.get("JDBC_DATABASE_URL").endsWith("&sslmode=require"), env.toString());
        assertEquals("require", env.get("PGSSLMODE"));
        assertEquals(Clusters.secrets(grid.store, KEYS).get(Clusters.TLS_CA), env.get("DATABASE_CA_CERT"));
        assertEquals("t", sessionSsl(env.get("JDBC_DATABASE_URL")), "the app's session is encrypted");
        assertEquals("t", TestCluster.psql(env.get("DATABASE_URL"), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), "psql's too");
        assertEquals("t", sessionSsl(env.get("JDBC_DATABASE_URL").replace("sslmode=require", "sslmode=verify-ca&sslrootcert=" + caFile(env))),
                "and the CA in the config checks the server");

        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env.get("JDBC_DATABASE_URL"));
        hc.setUsername(env.get("JDBC_DATABASE_USERNAME"));
        hc.setPassword(env.get("JDBC_DATABASE_PASSWORD"));
        hc.setMaximumPoolSize(2);
        try (HikariDataSource ds = new HikariDataSource(hc); Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, item text)");
            st.execute("INSERT INTO orders VALUES (1, 'tea')");
        }
        assertEquals("tea", TestCluster.psql(env.get("DATABASE_URL"), "SELECT item FROM orders"));
        var viaCli = api.cli("pg:psql", "-a", "shop", "-c", "SELECT count(*) FROM orders");
        assertEquals(0, viaCli.exitCode(), viaCli.out() + viaCli.err());

        // The nodes spread over the three hosts, one each.
        Set<String> hosts = new HashSet<>();
        for (String n : List.of("n0", "n1", "n2")) hosts.add(container(n).labels().get("grid.host"));
        assertEquals(3, hosts.size(), "one node per host: " + hosts);

        // On the running cluster, provisioning is quick: from the request to credentials that work.
        for (int i = 0; i < Integer.getInteger("grid.provision.samples", 1); i++) {
            long t0 = System.nanoTime();
            JsonNode made = api.ok("POST", "/addons", "{\"provider\":\"postgres\",\"name\":\"sample-" + i + "\"}");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("BENCH postgres provision on a running cluster: %d ms%n", millis);
            assertEquals("ready", made.path("state").asText());
            assertEquals(0, api.cli("addons:destroy", "sample-" + i, "--confirm", "sample-" + i).exitCode());
        }
        assertEquals(0, api.cli("apps:create", "other").exitCode());
        assertEquals(0, api.cli("addons:create", "postgres", "-a", "other", "--name", "other-db").exitCode());

        var info = api.cli("pg:info", "-a", "shop");
        assertEquals(0, info.exitCode(), info.err());
        assertTrue(info.out().contains("primary") && info.out().contains("sync") && info.out().contains("async"), info.out());
    }

    @Test
    @Order(2)
    void oneAddonsCredentialsOpenNothingOfAnothers() throws Exception {
        Map<String, String> shop = api.config("shop");
        Map<String, String> other = api.config("other");
        String shopDbWithOthersRole = shop.get("JDBC_DATABASE_URL").replaceAll("\\?.*", "");
        SQLException e = assertThrows(SQLException.class,
                () -> DriverManager.getConnection(shopDbWithOthersRole, other.get("PGUSER"), other.get("PGPASSWORD")).close());
        assertTrue(e.getMessage().contains("permission denied for database"), e.getMessage());
        String postgresDb = shopDbWithOthersRole.replaceAll("/[^/]+$", "/postgres");
        assertThrows(SQLException.class, () -> DriverManager.getConnection(postgresDb, other.get("PGUSER"), other.get("PGPASSWORD")).close());
        // and with its own database, the other role sees none of shop's tables
        try (Connection c = connect(other); Statement st = c.createStatement()) {
            assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM orders"));
        }
    }

    @Test
    @Order(2)
    void aSecondPostgresOnOneAppIsRefusedWithoutAnAttachmentNameAndWorksBesideTheFirstWithOne() throws Exception {
        Map<String, String> before = api.config("shop");
        var clash = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-clash");
        assertTrue(clash.exitCode() != 0 && clash.err().contains("shop already has DATABASE_URL (from the add-on shop-db)")
                && clash.err().contains("--as ALIAS"), clash.exitCode() + " " + clash.out() + clash.err());
        assertEquals(404, api.call("GET", "/addons/shop-clash", null).status(), "refused before anything was made");
        assertEquals(before, api.config("shop"), "and the app's config is as it was");
        var badName = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-clash", "--as", "reports-db");
        assertTrue(badName.exitCode() != 0 && badName.err().contains("--as REPORTS_DB"), badName.err());

        var made = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-reports", "--as", "REPORTS");
        assertEquals(0, made.exitCode(), made.err());
        assertTrue(made.out().contains("REPORTS_URL") && made.out().contains("REPORTS_JDBC_DATABASE_URL"), made.out());
        try {
            Map<String, String> both = api.config("shop");
            for (var e : before.entrySet()) assertEquals(e.getValue(), both.get(e.getKey()), e.getKey() + " is still the first add-on's");
            for (String k : List.of("REPORTS_URL", "REPORTS_JDBC_DATABASE_URL", "REPORTS_PGHOST", "REPORTS_PGUSER", "REPORTS_PGPASSWORD", "REPORTS_PGDATABASE")) {
                assertTrue(both.containsKey(k), k + " is set: " + both.keySet());
            }
            assertTrue(both.get("REPORTS_URL").startsWith("postgres://shop_reports:"), "ALIAS_URL is the add-on's DATABASE_URL");
            try (Connection c = DriverManager.getConnection(both.get("REPORTS_JDBC_DATABASE_URL")); Statement st = c.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT current_database()");
                assertTrue(rs.next());
                assertEquals("shop_reports", rs.getString(1));
            }
            var several = api.cli("pg:info", "-a", "shop");
            assertTrue(several.exitCode() != 0 && several.err().contains("shop has 2 postgres add-ons: shop-db, shop-reports (as REPORTS)")
                    && several.err().contains("--addon NAME"), several.err());
            var psql = api.cli("pg:psql", "-a", "shop", "--addon", "REPORTS", "-c", "SELECT current_database()");
            assertEquals(0, psql.exitCode(), psql.err());
            assertTrue(psql.out().contains("shop_reports"), "--addon takes the attachment's name: " + psql.out());
            var first = api.cli("pg:psql", "-a", "shop", "--addon", "shop-db", "-c", "SELECT current_database()");
            assertTrue(first.out().contains("shop_db"), "--addon takes the add-on's name: " + first.out());
            assertTrue(api.cli("addons").out().contains("shop as REPORTS"));

            var taken = api.cli("addons:attach", "other-db", "-a", "shop", "--as", "REPORTS");
            assertTrue(taken.exitCode() != 0 && taken.err().contains("shop has an attachment named REPORTS already (shop-reports)"), taken.err());
            assertEquals(both, api.config("shop"), "a refused attachment changes nothing");
        } finally {
            var detached = api.cli("addons:detach", "shop-reports", "-a", "shop");
            assertEquals(0, detached.exitCode(), detached.err());
            assertEquals(before, api.config("shop"), "detaching removes the attachment's own vars, and only those");
            assertEquals(0, api.cli("addons:destroy", "shop-reports", "--confirm", "shop-reports").exitCode());
        }
    }

    @Test
    @Order(2)
    void aTenantAtItsConnectionLimitLeavesTheOtherTenantsTheirs() throws Exception {
        Map<String, String> other = api.config("other");
        java.util.List<Connection> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) held.add(connect(other));
            SQLException e = assertThrows(SQLException.class, () -> connect(other).close(), "the plan's limit: 20");
            assertTrue(e.getMessage().contains("too many connections for role"), e.getMessage());
            try (Connection c = connect(api.config("shop")); Statement st = c.createStatement()) {
                assertTrue(st.executeQuery("SELECT 1").next(), "another tenant still connects");
            }
            var info = api.cli("pg:info", "-a", "other");
            assertTrue(info.out().contains("connections:   20 of 20 (the cluster takes 100 in all)"), info.out());
        } finally {
            for (Connection c : held) c.close();
        }
    }

    /** A client certificate held in the cluster's secrets. */
    static dev.grid.appliance.ClusterCa.Issued clusterCert(Map<String, String> secrets, String user) {
        return new dev.grid.appliance.ClusterCa.Issued(secrets.get(Clusters.tlsClientCert(user)), secrets.get(Clusters.tlsClientKey(user)));
    }

    /**
     * Signs in as {@code user} with {@code password} at {@code host:port}, in TLS mode {@code sslmode}
     * with the client certificate {@code cert} (none if null), as a replication connection or to run
     * {@code sql} (one value): "connected: VALUE", or "refused: " and what refused it.
     */
    static String signIn(String host, int port, String user, String password, String sslmode, dev.grid.appliance.ClusterCa.Issued cert,
                         String caPem, boolean replication, String sql) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslmode);
        p.setProperty("connectTimeout", "10");
        if (replication) {
            p.setProperty("replication", "true");
            p.setProperty("assumeMinServerVersion", "9.4");
            p.setProperty("preferQueryMode", "simple");
        }
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pg-attack");
        try {
            java.nio.file.Files.writeString(dir.resolve("ca.crt"), caPem);
            p.setProperty("sslrootcert", dir.resolve("ca.crt").toString());
            if (cert != null) {
                java.nio.file.Files.writeString(dir.resolve("c.crt"), cert.certPem());
                java.nio.file.Files.write(java.nio.file.Files.createFile(dir.resolve("c.pk8"), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))), dev.grid.appliance.ClusterCa.pkcs8Der(cert.keyPem()));
                p.setProperty("sslcert", dir.resolve("c.crt").toString());
                p.setProperty("sslkey", dir.resolve("c.pk8").toString());
            } else {
                p.setProperty("sslcert", dir.resolve("none.crt").toString()); // not the driver's default in ~/.postgresql
            }
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", p)) {
                if (replication) return "connected: replication";
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    return "connected: " + rs.getString(1);
                }
            } catch (SQLException e) {
                return "refused: " + e.getMessage();
            }
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    @Test
    @Order(2)
    void theSuperusersAndReplicationsPasswordsAloneOpenNothingWhileTheClustersCertificatesDoAndReplicationIsEncrypted() throws Exception {
        Map<String, String> secrets = Clusters.secrets(grid.store, KEYS);
        String ca = secrets.get(Clusters.TLS_CA);
        String isSuper = "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user";
        NodeReport primary = Clusters.servingPrimary(grid.store, KEYS);
        Map<String, String> shop = api.config("shop");
        dev.grid.appliance.ClusterCa foreign = dev.grid.appliance.ClusterCa.create("an attacker's CA");
        // Directly at the node, and through the add-on's route (where every client arrives from the router's host).
        for (String[] at : List.of(new String[] {primary.address(), String.valueOf(primary.port())}, new String[] {shop.get("PGHOST"), shop.get("PGPORT")})) {
            String host = at[0];
            int port = Integer.parseInt(at[1]);
            for (String[] who : List.of(new String[] {"grid", "SUPERUSER_PASSWORD", "false"}, new String[] {"replicator", "REPLICATION_PASSWORD", "true"})) {
                boolean replication = Boolean.parseBoolean(who[2]);
                String where = who[0] + " at " + host + ":" + port;
                String password = secrets.get(who[1]);
                String plain = signIn(host, port, who[0], password, "disable", null, ca, replication, isSuper);
                assertTrue(plain.contains("pg_hba.conf rejects " + (replication ? "replication " : "") + "connection") && plain.contains("no encryption"),
                        where + " in plaintext: " + plain);
                String noCert = signIn(host, port, who[0], password, "require", null, ca, replication, isSuper);
                assertTrue(noCert.contains("connection requires a valid client certificate"), where + " over TLS, no certificate: " + noCert);
                String forged = signIn(host, port, who[0], password, "require", foreign.issue(who[0], false), ca, replication, isSuper);
                // The server names its CA in the handshake, so a client holds back a certificate of another (or, sent, it fails the chain).
                assertTrue(forged.startsWith("refused") && (forged.contains("requires a valid client certificate") || forged.contains("SSL"))
                        && !forged.contains("private key file"), where + " with a certificate of another CA: " + forged);
            }
            String swapped = signIn(host, port, "grid", secrets.get("SUPERUSER_PASSWORD"), "verify-ca", clusterCert(secrets, "replicator"), ca, false, isSuper);
            // Postgres names the method in its answer (scram-sha-256), not the certificate's name check; the same call with
            // the superuser's certificate below gets in.
            assertTrue(swapped.contains("authentication failed for user \"grid\""), "grid with the replicator's certificate: " + swapped);
            String noPassword = signIn(host, port, "grid", "not-the-password", "verify-ca", clusterCert(secrets, "grid"), ca, false, isSuper);
            assertTrue(noPassword.contains("password authentication failed"), "the certificate alone opens nothing either: " + noPassword);
            // Grid's own, with the certificate and the password, gets in: the rules are no blanket refusal.
            assertEquals("connected: true", signIn(host, port, "grid", secrets.get("SUPERUSER_PASSWORD"), "verify-ca", clusterCert(secrets, "grid"), ca, false, isSuper));
        }
        String streaming = "SELECT count(*) FILTER (WHERE s.ssl) || ' of ' || count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)";
        Eventually.await("both replicas streaming, over TLS", Duration.ofSeconds(30), () -> {
            try {
                return signIn(primary.address(), primary.port(), "grid", secrets.get("SUPERUSER_PASSWORD"), "verify-ca", clusterCert(secrets, "grid"), ca, false, streaming);
            } catch (Exception e) {
                return e.toString();
            }
        }, "connected: 2 of 2"::equals);
        try (Connection c = connect(shop); Statement st = c.createStatement()) {
            assertTrue(st.executeQuery("SELECT 1").next(), "a tenant signs in by password, as before");
        }
    }

    @Test
    @Order(2)
    void theSharedClustersPortIsOpenOnlyWhereAppsReachAddonsUntilAnOperatorExposesIt() {
        java.util.function.Supplier<String> listen = () -> api.ok("GET", "/routes", null).findParents("service").stream()
                .filter(r -> r.path("service").asText().equals(AttackTest.POSTGRES.service())).findFirst().orElseThrow().path("listen").asText();
        assertEquals("addon", listen.get(), "a new add-on's route listens only on GRID_ADDON_HOST");
        assertTrue(api.cli("addons:info", "shop-db").out().contains("exposed:       no: only where apps reach add-ons"));

        var exposed = api.cli("addons:expose", "shop-db");
        assertEquals(0, exposed.exitCode(), exposed.err());
        assertTrue(exposed.err().contains("Warning: shop-db is now reachable on port ") && exposed.err().contains("shared with other-db"), exposed.err());
        assertEquals("public", listen.get());
        assertTrue(api.cli("addons:info", "other-db").out().contains("exposed:       yes: port "), "a tenant of the same cluster sees it");

        assertEquals(0, api.cli("addons:unexpose", "shop-db").exitCode());
        assertEquals("addon", listen.get());
        var unknown = api.cli("addons:expose", "nope-db");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("nope-db"), unknown.err());
    }

    @Test
    @Order(3)
    void badInputIsRefusedWithAReasonAndChangesNothing() {
        JsonNode addonsBefore = api.ok("GET", "/addons", null);
        Map<String, String> shopBefore = api.config("shop");
        Map<String, String> otherBefore = api.config("other");
        record Bad(String[] args, String says) {}
        List<Bad> bad = List.of(
                new Bad(new String[] {"addons:create", "mysql", "-a", "shop"}, "no add-on provider 'mysql'"),
                new Bad(new String[] {"addons:create", "postgres:huge", "-a", "shop"}, "postgres has no plan 'huge'"),
                new Bad(new String[] {"addons:create", "postgres", "-a", "nope"}, "no app named 'nope'"),
                new Bad(new String[] {"addons:create", "postgres", "--name", "Bad_Name"}, "invalid add-on name"),
                new Bad(new String[] {"addons:create", "postgres", "--name", "shop-db"}, "exists already"),
                new Bad(new String[] {"addons:destroy", "shop-db"}, "confirm with --confirm shop-db"),
                new Bad(new String[] {"addons:destroy", "shop-db", "--confirm", "other-db"}, "confirm with --confirm shop-db"),
                new Bad(new String[] {"addons:detach", "shop-db", "-a", "other"}, "shop-db is not attached to other"),
                new Bad(new String[] {"addons:attach", "shop-db", "-a", "shop"}, "attached to shop already"),
                new Bad(new String[] {"addons:attach", "shop-db", "-a", "other"}, "other already has DATABASE_URL"),
                new Bad(new String[] {"addons:info", "ghost"}, "no add-on named 'ghost'"),
                new Bad(new String[] {"pg:info", "-a", "nope"}, "no app named 'nope'"));
        for (Bad b : bad) {
            var r = api.cli(b.args());
            assertNotEquals(0, r.exitCode(), String.join(" ", b.args()));
            assertTrue(r.err().contains(b.says()), String.join(" ", b.args()) + " says: " + r.err());
        }
        assertEquals(addonsBefore, api.ok("GET", "/addons", null));
        assertEquals(shopBefore, api.config("shop"));
        assertEquals(otherBefore, api.config("other"));
    }

    @Test
    @Order(4)
    void detachRemovesOnlyTheKeysItSetThatAreUnchanged() {
        assertEquals(0, api.cli("config:set", "-a", "other", "PGHOST=db.example.test", "KEEP=me").exitCode());
        var r = api.cli("addons:detach", "other-db", "-a", "other");
        assertEquals(0, r.exitCode(), r.err());
        Map<String, String> after = api.config("other");
        assertEquals("db.example.test", after.get("PGHOST"), "changed by hand since attaching: kept");
        assertEquals("me", after.get("KEEP"));
        for (String k : List.of("DATABASE_URL", "JDBC_DATABASE_URL", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGPORT")) {
            assertFalse(after.containsKey(k), k + " was removed");
        }
        var attach = api.cli("addons:attach", "other-db", "-a", "other");
        assertTrue(attach.err().contains("other already has PGHOST"), attach.err());
        assertEquals(0, api.cli("config:unset", "-a", "other", "PGHOST").exitCode());
        assertEquals(0, api.cli("addons:attach", "other-db", "-a", "other").exitCode());
        assertTrue(api.config("other").containsKey("DATABASE_URL"));
    }

    @Test
    @Order(5)
    void killingThePrimaryLosesNoAcknowledgedWriteAndTheOldPrimaryRejoins() throws Exception {
        Eventually.await("the cluster settled", Duration.ofSeconds(60), this::settled, ok -> ok);
        Map<String, String> env = api.config("shop");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE chaos (id bigint PRIMARY KEY)");
        }
        PrimaryKills.run("postgres", grid, KEYS, CHAOS_ROUNDS, this::settled,
                () -> DriverManager.getConnection(env.get("JDBC_DATABASE_URL") + "&connectTimeout=2&socketTimeout=10"),
                (c, id) -> {
                    try (Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("INSERT INTO chaos VALUES (" + id + ") RETURNING host(inet_server_addr())")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
    }

    List<String> notes(Map<String, String> env) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(env); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT note FROM notes ORDER BY note")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    @Test
    @Order(6)
    void backupsRestoreAllOrNothingAndACorruptDumpChangesNothing() throws Exception {
        Map<String, String> env = api.config("shop");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE notes (note text)");
            st.execute("INSERT INTO notes VALUES ('first')");
        }
        var captured = api.cli("pg:backups:capture", "-a", "shop");
        assertEquals(0, captured.exitCode(), captured.err());
        assertTrue(captured.out().contains("Captured b001"), captured.out());
        double age = dev.grid.testing.Scrape.value(grid.metrics.scrape(), "grid_addon_backup_age_seconds", "addon", "shop-db");
        assertTrue(age >= 0 && age < 60, "the newest backup's age, in the metrics: " + age);
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("INSERT INTO notes VALUES ('second')");
        }
        var unconfirmed = api.cli("pg:backups:restore", "-a", "shop");
        assertTrue(unconfirmed.err().contains("confirm with --confirm shop"), unconfirmed.err());
        assertEquals(List.of("first", "second"), notes(env));

        var restored = api.cli("pg:backups:restore", "b001", "-a", "shop", "--confirm", "shop");
        assertEquals(0, restored.exitCode(), restored.err());
        assertEquals(List.of("first"), notes(env));

        assertEquals(0, api.cli("pg:backups:capture", "-a", "shop").exitCode());
        java.nio.file.Path b002 = grid.blobs.file("backup-shop-db-b002.dump").orElseThrow();
        java.nio.file.Files.writeString(b002, "PGDMP this is not a dump at all");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("INSERT INTO notes VALUES ('third')");
        }
        var corrupt = api.cli("pg:backups:restore", "b002", "-a", "shop", "--confirm", "shop");
        assertNotEquals(0, corrupt.exitCode());
        assertTrue(corrupt.err().contains("not a valid pg_dump archive"), corrupt.err());
        assertEquals(List.of("first", "third"), notes(env), "a corrupt dump changed nothing");
        var missing = api.cli("pg:backups:restore", "b999", "-a", "shop", "--confirm", "shop");
        assertTrue(missing.err().contains("has no backup b999"), missing.err());
        var list = api.cli("pg:backups", "-a", "shop");
        assertTrue(list.out().contains("b001") && list.out().contains("b002"), list.out());
    }

    /** Runs a tool here (pg_dump, pg_restore); its exit code and output. */
    private static TestGit.Result tool(java.nio.file.Path dir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return new TestGit.Result(p.waitFor(), out);
    }

    @Test
    @Order(8)
    void aDumpGoesOutAndComesInAndTheControllerTakesADueBackupSlot() throws Exception {
        Map<String, String> env = api.config("shop");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("grid-pg-export");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS notes");
            st.execute("CREATE TABLE notes (note text)");
            st.execute("INSERT INTO notes VALUES ('exported')");
        }
        // Out: a backup saved here is a pg_dump archive that pg_restore reads.
        assertEquals(0, api.cli("pg:backups:capture", "-a", "shop").exitCode());
        String latest = api.ok("GET", "/addons/shop-db/backups", null).get(api.ok("GET", "/addons/shop-db/backups", null).size() - 1).path("id").asText();
        java.nio.file.Path saved = dir.resolve("saved.dump");
        var download = api.cli("pg:backups:download", "-a", "shop", latest, "-o", saved.toString());
        assertEquals(0, download.exitCode(), download.err());
        var listed = tool(dir, Map.of(), "pg_restore", "--list", saved.toString());
        assertEquals(0, listed.exit(), listed.output());
        assertTrue(listed.output().contains("TABLE public notes"), listed.output());

        // In: a pg_dump -Fc made outside Grid (here, by the pg_dump of this machine), checked and restored whole.
        java.net.URI url = java.net.URI.create(env.get("DATABASE_URL"));
        String[] user = url.getUserInfo().split(":", 2);
        java.nio.file.Path outside = dir.resolve("outside.dump");
        var dumped = tool(dir, Map.of("PGPASSWORD", user[1], "PGSSLMODE", "prefer"), "pg_dump", "-Fc", "-h", url.getHost(), "-p", String.valueOf(url.getPort()),
                "-U", user[0], "-f", outside.toString(), url.getPath().substring(1));
        assertEquals(0, dumped.exit(), dumped.output());
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("INSERT INTO notes VALUES ('after the dump')");
        }
        var refused = api.cli("pg:backups:restore", "-a", "shop", "--file", saved.toString());
        assertTrue(refused.err().contains("confirm with --confirm shop"), refused.err());
        java.nio.file.Path junk = java.nio.file.Files.writeString(dir.resolve("junk.dump"), "PGDMP this is not a dump at all");
        var bad = api.cli("pg:backups:restore", "-a", "shop", "--file", junk.toString(), "--confirm", "shop");
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("not a valid pg_dump archive"), bad.err());
        assertEquals(List.of("after the dump", "exported"), notes(env), "a file that is not a dump changed nothing");
        var imported = api.cli("pg:backups:restore", "-a", "shop", "--file", outside.toString(), "--confirm", "shop");
        assertEquals(0, imported.exitCode(), imported.err());
        assertEquals(List.of("exported"), notes(env), "the database as the file has it");
        assertTrue(grid.blobs.dir().toFile().list((d, n) -> n.contains("upload")).length == 0, "the uploaded file is not kept");

        // Scheduled: a daily slot, taken once, the oldest scheduled backups beyond --keep dropped.
        var scheduled = api.cli("pg:backups:schedule", "-a", "shop", "--at", "02:00 UTC", "--keep", "1");
        assertEquals(0, scheduled.exitCode(), scheduled.err());
        assertTrue(scheduled.out().contains("at 02:00 UTC, keeping 1; the next at "), scheduled.out());
        assertTrue(api.cli("pg:backups:schedules", "-a", "shop").out().contains("02:00 UTC"));
        assertTrue(api.cli("pg:backups:schedule", "-a", "shop", "--at", "2am").err().contains("say when as HH:MM"));
        int byHand = api.ok("GET", "/addons/shop-db/backups", null).size();
        // As if made two days ago, for a time of day a few minutes past: its slot is due now, and the controller takes it.
        // (Two runners, a dead runner's claim and retention: BackupSchedulerTest.)
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant slot = now.minusSeconds(120).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        String key = dev.grid.controller.domain.BackupScheduler.SCHEDULES + "shop-db";
        grid.store.put(key, new dev.grid.controller.domain.BackupSchedule("shop-db", slot.atZone(java.time.ZoneOffset.UTC).toLocalTime().toString(), "UTC", 1,
                now.minus(java.time.Duration.ofDays(2)), null));
        JsonNode taken = Eventually.await("the slot's backup", java.time.Duration.ofSeconds(30),
                () -> api.ok("GET", "/addons/shop-db/backups", null), b -> b.size() == byHand + 1).get(byHand);
        assertEquals(slot.toString(), taken.path("slot").asText());
        Eventually.await("the slot marked taken", java.time.Duration.ofSeconds(10),
                () -> grid.store.get(key, dev.grid.controller.domain.BackupSchedule.class).orElseThrow().lastSlot(), slot::equals);
        var listedRestore = tool(dir, Map.of(), "pg_restore", "--list", grid.blobs.file("backup-shop-db-" + taken.path("id").asText() + ".dump").orElseThrow().toString());
        assertTrue(listedRestore.output().contains("TABLE public notes"), "a real dump: " + listedRestore.output());
        assertEquals(0, api.cli("pg:backups:unschedule", "-a", "shop").exitCode());
        assertTrue(api.cli("pg:backups:schedules", "-a", "shop").out().contains("No backup schedule"));
    }

    @Test
    @Order(6)
    void psLocksAndKillSeeAndStopTheAddonsOwnSessionsAndNoOtherTenants() throws Exception {
        Map<String, String> shop = api.config("shop");
        try (Connection c = connect(shop); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS held (n int)");
        }
        try (Connection holder = connect(shop); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            int pid;
            try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            var ps = api.cli("pg:ps", "-a", "shop");
            assertEquals(0, ps.exitCode(), ps.err());
            assertTrue(ps.out().contains(pid + "  ") && ps.out().contains("idle in transaction"), "the session, and its state: " + ps.out());
            var locks = api.cli("pg:locks", "-a", "shop");
            assertTrue(locks.out().lines().anyMatch(l -> l.startsWith(pid + " ") && l.contains("held") && l.contains("AccessExclusiveLock")),
                    "the lock it holds, on what: " + locks.out());

            // Another tenant of the same cluster sees none of it, and cannot stop it.
            assertTrue(api.ok("GET", "/addons/other-db/sessions", null).findValues("pid").stream().noneMatch(p -> p.asInt() == pid),
                    "another tenant's pg:ps does not show it");
            var refused = api.cli("pg:kill", String.valueOf(pid), "--force", "-a", "other");
            assertNotEquals(0, refused.exitCode());
            assertTrue(refused.err().contains("no session " + pid + " in other-db's database"), refused.err());
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "the session lives on");
            }

            // Its own app's pg:kill --force ends it.
            var killed = api.cli("pg:kill", String.valueOf(pid), "--force", "-a", "shop");
            assertEquals(0, killed.exitCode(), killed.err());
            assertTrue(killed.out().contains("Ended session " + pid + " of shop-db"), killed.out());
            assertThrows(java.sql.SQLException.class, () -> st.executeQuery("SELECT 1"), "the session is gone");
        }
        var none = api.cli("pg:locks", "-a", "shop");
        assertTrue(none.out().contains("No session of shop's database holds an exclusive lock."), none.out());
        var bad = api.cli("pg:kill", "not-a-pid", "-a", "shop");
        assertNotEquals(0, bad.exitCode());
    }

    @Test
    @Order(6)
    void rotatingCredentialsRestartsTheAppsWithNewOnesAndThenTheOldOnesStopWorking() throws Exception {
        Map<String, String> before = api.config("shop");
        // A web process: the rotation waits for it to run with the new credentials before it retires the old.
        api.ok("POST", "/apps/shop/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"web\":{\"command\":"
                + TestApi.JSON.valueToTree(TestCluster.WEB) + "}}}");
        assertEquals(0, api.cli("ps:scale", "-a", "shop", "web=1").exitCode());
        Eventually.await("shop's web job up", java.time.Duration.ofSeconds(30), () -> api.upJobs("shop"), j -> j.size() == 1);
        try (Connection c = connect(before); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS kept");
            st.execute("CREATE TABLE kept (n int)");
            st.execute("INSERT INTO kept VALUES (1)");
        }
        Map<String, String> after;
        try (Connection old = connect(before); Statement oldSt = old.createStatement()) {
            var unconfirmed = api.cli("pg:credentials:rotate", "-a", "shop");
            assertTrue(unconfirmed.err().contains("confirm with --confirm shop"), unconfirmed.err());
            assertEquals(before, api.config("shop"), "unconfirmed: nothing changed");

            var rotated = api.cli("pg:credentials:rotate", "-a", "shop", "--confirm", "shop");
            assertEquals(0, rotated.exitCode(), rotated.err());
            after = api.config("shop");
            assertNotEquals(before.get("PGPASSWORD"), after.get("PGPASSWORD"));
            assertNotEquals(before.get("PGUSER"), after.get("PGUSER"));
            assertEquals(before.get("PGDATABASE"), after.get("PGDATABASE"), "the same database");
            String current = api.ok("GET", "/apps/shop/releases", null).get(0).path("id").asText();
            assertTrue(api.jobs("shop").stream().filter(j -> j.path("type").asText().equals("web"))
                            .allMatch(j -> j.path("releaseId").asText().equals(current) && j.path("state").asText().equals("up")),
                    "retired only once the app runs the release with the new credentials: " + api.jobs("shop"));
            assertThrows(java.sql.SQLException.class, () -> connect(before).close(), "the old password no longer signs in");
            assertThrows(java.sql.SQLException.class, () -> oldSt.executeQuery("SELECT 1"), "and its sessions were ended");
        }
        try (Connection c = connect(after); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM kept")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the data is where it was");
            }
            st.execute("CREATE TABLE made_after (n int)");
            try (ResultSet rs = st.executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'made_after'")) {
                rs.next();
                assertEquals(before.get("PGUSER"), rs.getString(1), "what the new login makes is the database owner's");
            }
        }
        // Again: what the first rotation's login made is read by the next one's.
        assertEquals(0, api.cli("pg:credentials:rotate", "-a", "shop", "--confirm", "shop").exitCode());
        Map<String, String> again = api.config("shop");
        try (Connection c = connect(again); Statement st = c.createStatement()) {
            st.execute("INSERT INTO made_after VALUES (1)");
            st.execute("DROP TABLE made_after");
        }
        assertThrows(java.sql.SQLException.class, () -> connect(after).close());
        assertEquals(0, api.cli("pg:backups:capture", "-a", "shop").exitCode(), "backups sign in with the new login");
        try (Connection c = connect(api.config("other")); Statement st = c.createStatement()) {
            assertTrue(st.executeQuery("SELECT 1").next(), "another tenant is untouched");
        }
        assertEquals(0, api.cli("ps:scale", "-a", "shop", "web=0").exitCode());
    }

    /** The ids in {@code table} of the database {@code env} names, in order. */
    private static List<Integer> ids(Map<String, String> env, String urlVar, String table) throws SQLException {
        List<Integer> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(env.get(urlVar)); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM " + table + " ORDER BY id")) {
            while (rs.next()) ids.add(rs.getInt(1));
        }
        return ids;
    }

    @Test
    @Order(6)
    void aRollbackCopiesTheDatabaseAsItWasAcrossAFailoverAndAForkAsItIs() throws Exception {
        // The primary was killed at order 5, and is again below: what is written now is archived by the new one, on its new timeline.
        String info = Eventually.await("a base backup in the archive", Duration.ofSeconds(120), () -> api.cli("pg:info", "-a", "shop").out(),
                o -> o.contains("rollback:") && o.contains("available since"));
        Map<String, String> shop = api.config("shop");
        String then;
        try (Connection c = connect(shop); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE ledger (id int)");
            st.execute("INSERT INTO ledger VALUES (1), (2), (3)");
            Eventually.sleep(1100);
            ResultSet rs = st.executeQuery("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
            rs.next();
            then = rs.getString(1);
            Eventually.sleep(1100);
            st.execute("DELETE FROM ledger"); // the mistake
            st.execute("INSERT INTO ledger VALUES (99)");
        }
        // And a failover between TIME and the rollback: the archive holds TIME on one timeline and now on the next.
        Eventually.await("the cluster settled", Duration.ofSeconds(90), this::settled, ok -> ok);
        String victim = state().primary();
        grid.docker.kill(container(victim).id());
        Eventually.await("a new primary that takes writes", Duration.ofSeconds(60), () -> {
            try (Connection c = connect(shop); Statement st = c.createStatement()) {
                st.execute("INSERT INTO ledger VALUES (98)");
                st.execute("DELETE FROM ledger WHERE id = 98");
                return !victim.equals(state().primary());
            } catch (SQLException e) {
                return false;
            }
        }, ok -> ok);
        var early = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-early", "--as", "EARLY", "--rollback", "shop-db", "--to", "2000-01-01 00:00 UTC");
        assertTrue(early.exitCode() != 0 && early.err().contains("outside the window that is kept: from"), early.err());
        assertEquals(404, api.call("GET", "/addons/shop-early", null).status(), "refused before anything was made");
        var unknown = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-early", "--as", "EARLY", "--fork", "no-such-db");
        assertTrue(unknown.exitCode() != 0 && unknown.err().contains("no Postgres add-on named no-such-db"), unknown.err());

        long t0 = System.nanoTime();
        var rolled = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-rolled", "--as", "ROLLED", "--rollback", "shop-db", "--to", then);
        System.out.printf("BENCH postgres rollback of a small database: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals(0, rolled.exitCode(), rolled.out() + rolled.err());
        try {
            Map<String, String> now = api.config("shop");
            assertEquals(List.of(1, 2, 3), ids(now, "ROLLED_JDBC_DATABASE_URL", "ledger"), "the rows as they were at " + then);
            assertEquals(List.of(99), ids(now, "JDBC_DATABASE_URL", "ledger"), "and the original as it is");
            assertTrue(s3.objects("grid-pgbackrest/archive/main") > 2 && s3.objects("grid-pgbackrest/backup/main") > 2,
                    "the WAL and the base backups are in the bucket the operator named");
            var forked = api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-forked", "--as", "FORKED", "--fork", "shop-db");
            assertEquals(0, forked.exitCode(), forked.out() + forked.err());
            assertEquals(List.of(99), ids(api.config("shop"), "FORKED_JDBC_DATABASE_URL", "ledger"), "a fork is the database as it is now");
            try (Connection c = DriverManager.getConnection(api.config("shop").get("FORKED_JDBC_DATABASE_URL")); Statement st = c.createStatement()) {
                st.execute("INSERT INTO ledger VALUES (100)");
            }
            assertEquals(List.of(99), ids(api.config("shop"), "JDBC_DATABASE_URL", "ledger"), "writes to the fork stay in the fork");
        } finally {
            for (String a : List.of("shop-rolled", "shop-forked")) {
                if (api.call("GET", "/addons/" + a, null).status() == 200) assertEquals(0, api.cli("addons:destroy", a, "--confirm", a).exitCode());
            }
            try (Connection c = connect(shop); Statement st = c.createStatement()) {
                st.execute("DROP TABLE ledger");
            }
        }
    }

    @Test
    @Order(7)
    void destroyDropsTheDatabaseAndTheRole() {
        Map<String, String> other = api.config("other");
        // also attached to an app destroyed since: that does not stand in the way
        assertEquals(0, api.cli("apps:create", "gone").exitCode());
        assertEquals(0, api.cli("addons:attach", "other-db", "-a", "gone").exitCode());
        assertEquals(0, api.cli("apps:destroy", "gone", "--confirm", "gone").exitCode());
        // A rotated login goes with it: it could otherwise still sign in to the cluster's other databases.
        assertEquals(0, api.cli("pg:credentials:rotate", "-a", "other", "--confirm", "other").exitCode());
        Map<String, String> rotated = api.config("other");
        String intoPostgres = rotated.get("JDBC_DATABASE_URL").replace("/" + rotated.get("PGDATABASE") + "?", "/postgres?");
        // Before: its password is taken, and only the database's CONNECT privilege (which tenants do not have) refuses it.
        SQLException exists = assertThrows(SQLException.class, () -> DriverManager.getConnection(intoPostgres).close());
        assertTrue(exists.getMessage().contains("permission denied for database"), exists.getMessage());
        var r = api.cli("addons:destroy", "other-db", "--confirm", "other-db");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(api.config("other").containsKey("DATABASE_URL"), "detached first");
        SQLException e = assertThrows(SQLException.class, () -> connect(other).close());
        assertTrue(e.getMessage().contains("password authentication failed") || e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(api.ok("GET", "/addons", null).findValuesAsText("name").stream().noneMatch("other-db"::equals));
        SQLException login = assertThrows(SQLException.class, () -> DriverManager.getConnection(intoPostgres).close());
        assertTrue(login.getMessage().contains("password authentication failed"), "the rotated login is dropped too: " + login.getMessage());
    }
    /**
     * The primary takes no new replication connection, and the sync's is cut: the sync cannot
     * stream, rewinds, and then cannot be rebuilt either (its fresh base backup fails). Then the
     * primary is lost, and the sync is promoted, as it must be: it holds every acknowledged commit.
     * A failed rebuild must not have thrown its data away first; CI saw an emptied sync promoted,
     * which then made a new, empty cluster that every other node copied (KeeperUpgradeTest: no
     * commit went through, the add-on's role was gone).
     */
    @Test
    @Order(8)
    void aSyncWhoseRebuildFailsKeepsItsDataAndIsPromotedWithIt() throws Exception {
        Eventually.await("the cluster settled", Duration.ofSeconds(90), this::settled, ok -> ok);
        Map<String, String> env = api.config("shop");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE kept_through_rebuild AS SELECT generate_series(1, 100) AS v");
        }
        ClusterState s = state();
        String primary = s.primary(), sync = s.sync();
        long cut = System.currentTimeMillis();
        assertEquals("", TestCluster.nodeSql(grid.docker, KEYS, reports().get(primary), "ALTER ROLE replicator NOLOGIN"));
        assertEquals("t", TestCluster.nodeSql(grid.docker, KEYS, reports().get(primary),
                "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_replication WHERE application_name = '" + sync + "'"));
        Eventually.await(sync + "'s keeper trying to rebuild it, and failing", Duration.ofSeconds(60), () -> {
            try {
                Process logs = new ProcessBuilder("docker", "logs", container(sync).id()).redirectErrorStream(true).start();
                return new String(logs.getInputStream().readAllBytes()).contains("pg_basebackup failed");
            } catch (java.io.IOException e) {
                return false;
            }
        }, ok -> ok);
        assertEquals(sync, state().sync(), "still the sync: it holds every acknowledged commit");
        grid.docker.kill(container(primary).id());
        Eventually.await(sync + " promoted", Duration.ofSeconds(60), () -> state().primary(), sync::equals);
        Eventually.await(sync + " serving", Duration.ofSeconds(60), () -> reports().get(sync), r -> r != null && r.isWritablePrimary());
        // The role's NOLOGIN came with the data: let replication in again, so that the others rejoin
        // (committed locally: a commit that waits for a sync would wait for this very change).
        assertEquals("", TestCluster.nodeSql(grid.docker, KEYS, reports().get(sync), "SET synchronous_commit = local; ALTER ROLE replicator LOGIN"));
        try (Connection c = connect(env); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM kept_through_rebuild")) {
            rs.next();
            assertEquals(100, rs.getInt(1), "the promoted sync has the data");
        }
        try {
            Eventually.await("the cluster settled again", Duration.ofSeconds(120), this::settled, ok -> ok);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; " + state() + "; " + reports() + "\n" + nodeLogs(), e);
        }
        System.out.printf("BENCH postgres: a sync whose rebuild failed promoted with its data, settled %d ms after its replication was cut%n",
                System.currentTimeMillis() - cut);
    }
}
