package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The MariaDB appliance end to end on three hosts: add-ons on the shared cluster with the env
 * Heroku's and MySQL's clients read, no add-on's user reaching another's database, and the primary
 * killed under JDBC writes, round after round, losing no acknowledged commit while the killed node
 * rejoins by itself. It runs beside the other tests (a cluster of its own), one such at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(OwnServer.LOCK)
class MariaDbApplianceTest {
    static final ClusterKeys KEYS = new ClusterKeys("mariadb", "main");
    static final int ROUNDS = Integer.getInteger("grid.chaos.rounds", 3);
    TestCluster grid;
    TestApi api;

    @BeforeAll
    void start() {
        synchronized (TestCluster.class) { // not while another test's cluster starts with the archive's switches set
            grid = new TestCluster(4);
        }
        api = grid.api;
        grid.startHosts(3);
    }

    @AfterAll
    void stop() {
        grid.close();
    }

    ClusterState state() {
        return Clusters.state(grid.store, KEYS).orElse(null);
    }

    /** A caught-up sync, every node reporting in the current generation and streaming as it should, nobody deposed. */
    boolean settled() {
        ClusterState s = state();
        if (s == null || !s.syncReady() || !s.deposed().isEmpty()) return false;
        Map<String, NodeReport> r = Clusters.reports(grid.store, KEYS);
        for (String n : List.of("n0", "n1", "n2")) {
            NodeReport nr = r.get(n);
            if (nr == null || nr.generation() != s.generation()) return false;
            if (!n.equals(s.primary()) && !s.streams(n, nr)) return false;
        }
        return true;
    }

    static Connection connect(Map<String, String> env) throws SQLException {
        return DriverManager.getConnection(env.get("JDBC_DATABASE_URL") + "?connectTimeout=2000&socketTimeout=10000",
                env.get("JDBC_DATABASE_USERNAME"), env.get("JDBC_DATABASE_PASSWORD"));
    }

    @Test
    @Order(1)
    void anAddonIsADatabaseOfItsOwnWithTheEnvHerokuAndMysqlClientsRead() throws Exception {
        assertEquals(0, api.cli("apps:create", "maria").exitCode());
        long t0 = System.nanoTime();
        var made = api.cli("addons:create", "mariadb", "-a", "maria", "--name", "maria-db");
        assertEquals(0, made.exitCode(), made.err());
        System.out.printf("BENCH mariadb provision (a new 3-node cluster): %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        Map<String, String> env = api.config("maria");
        for (String k : List.of("DATABASE_URL", "JDBC_DATABASE_URL", "JDBC_DATABASE_USERNAME", "JDBC_DATABASE_PASSWORD",
                "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE")) {
            assertTrue(env.containsKey(k), k + " in " + env.keySet());
        }
        assertEquals("mysql://" + env.get("MYSQL_USER") + ":" + env.get("MYSQL_PASSWORD") + "@" + env.get("MYSQL_HOST") + ":" + env.get("MYSQL_PORT")
                + "/" + env.get("MYSQL_DATABASE"), env.get("DATABASE_URL"));
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigint primary key)");
            st.execute("INSERT INTO orders VALUES (1)");
        }
        var cli = api.cli("mariadb:cli", "-a", "maria", "-e", "SELECT count(*) FROM orders");
        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().contains("1"), cli.out());
        var info = api.cli("mariadb:info", "-a", "maria");
        assertTrue(info.out().contains("AFTER_SYNC") && info.out().contains("n0"), info.out());
        // Its positions are GTIDs, so lag counts transactions, in addons:info and in the metrics alike.
        Eventually.await("both replicas' lag in the info", java.time.Duration.ofSeconds(20), () -> api.cli("mariadb:info", "-a", "maria").out(),
                out -> out.split(" transactions", -1).length == 3);
        Eventually.await("both replicas' lag in the metrics", java.time.Duration.ofSeconds(20), () -> grid.metrics.scrape(),
                scrape -> scrape.lines().filter(l -> l.startsWith("grid_appliance_replication_lag_transactions{") && l.contains("appliance=\"mariadb\"")).count() == 2);

        // A second one on the same app sets the same variables: refused unless its attachment has a name, as on Heroku.
        var clash = api.cli("addons:create", "mariadb", "-a", "maria", "--name", "maria-two");
        assertTrue(clash.exitCode() != 0 && clash.err().contains("--as"), clash.err());
        var named = api.cli("addons:create", "mariadb", "-a", "maria", "--name", "maria-two", "--as", "TWO");
        assertEquals(0, named.exitCode(), named.err());
        assertEquals(env.get("DATABASE_URL"), api.config("maria").get("DATABASE_URL"), "the first one's config stays");
        var two = api.cli("mariadb:cli", "-a", "maria", "--addon", "TWO", "-e", "SELECT DATABASE()");
        assertEquals(0, two.exitCode(), two.err());
        assertTrue(two.out().contains("maria_two"), two.out());
        assertTrue(api.config("maria").containsKey("TWO_URL") && api.config("maria").containsKey("TWO_MYSQL_PASSWORD"), api.config("maria").keySet().toString());
        var gone = api.cli("addons:destroy", "maria-two", "--confirm", "maria-two");
        assertEquals(0, gone.exitCode(), gone.err());
    }

    @Test
    @Order(2)
    void anAddonsUserReachesNoOtherAddonsDatabase() throws Exception {
        assertEquals(0, api.cli("apps:create", "other").exitCode());
        var made = api.cli("addons:create", "mariadb", "-a", "other", "--name", "other-db");
        assertEquals(0, made.exitCode(), made.err());
        Map<String, String> mine = api.config("maria");
        Map<String, String> theirs = api.config("other");
        try (Connection c = connect(theirs); Statement st = c.createStatement()) {
            String db = mine.get("MYSQL_DATABASE");
            SQLException read = assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM `" + db + "`.orders"));
            assertTrue(read.getMessage().contains("denied"), read.getMessage());
            assertThrows(SQLException.class, () -> st.execute("DROP DATABASE `" + db + "`"));
            assertThrows(SQLException.class, () -> st.execute("CREATE USER intruder IDENTIFIED BY 'x'"));
            assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM mysql.user"));
            try (ResultSet rs = st.executeQuery("SHOW DATABASES")) {
                List<String> seen = new ArrayList<>();
                while (rs.next()) seen.add(rs.getString(1));
                assertTrue(!seen.contains(db), "another add-on's database is not even listed: " + seen);
            }
        }
        try (Connection c = connect(mine); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertEquals(1, rs.getInt(1), "and it changed nothing");
        }
        var gone = api.cli("addons:destroy", "other-db", "--confirm", "other-db");
        assertEquals(0, gone.exitCode(), gone.err());
        assertThrows(SQLException.class, () -> connect(theirs).close(), "a destroyed add-on's user signs in no more");
    }

    /** The rows of one column, in order, as the add-on's user reads them. */
    static List<String> column(Map<String, String> env, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(env); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    /** SQL as the keepers' user on the serving primary: what no add-on's user may see. */
    List<String> asKeeper(String query) throws SQLException {
        NodeReport p = Clusters.servingPrimary(grid.store, KEYS);
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://" + p.address() + ":" + p.port() + "/", "grid_keeper",
                Clusters.secrets(grid.store, KEYS).get("KEEPER_PASSWORD")); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) out.add(rs.getString(1));
            return out;
        }
    }

    @Test
    @Order(3)
    void backupsRestoreAllOrNothingAndAHostileFileReachesNothing() throws Exception {
        Map<String, String> env = api.config("maria");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE notes (note varchar(40))");
            st.execute("INSERT INTO notes VALUES ('first')");
        }
        var captured = api.cli("mariadb:backups:capture", "-a", "maria");
        assertEquals(0, captured.exitCode(), captured.err());
        assertTrue(captured.out().contains("Captured b001"), captured.out());
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("INSERT INTO notes VALUES ('second')");
            st.execute("CREATE TABLE later (id int)");
        }
        var unconfirmed = api.cli("mariadb:backups:restore", "-a", "maria");
        assertTrue(unconfirmed.err().contains("confirm with --confirm maria"), unconfirmed.err());
        var restored = api.cli("mariadb:backups:restore", "b001", "-a", "maria", "--confirm", "maria");
        assertEquals(0, restored.exitCode(), restored.err());
        assertEquals(List.of("first"), column(env, "SELECT note FROM notes"));
        assertEquals(List.of("notes", "orders"), column(env, "SHOW TABLES"), "every table as the backup has it, and no other");

        // Out: the backup is a mariadb-dump file.
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("grid-mariadb-backups");
        var saved = api.cli("mariadb:backups:download", "-a", "maria", "b001", "-o", dir.resolve("b001.sql").toString());
        assertEquals(0, saved.exitCode(), saved.err());
        assertTrue(java.nio.file.Files.readString(dir.resolve("b001.sql")).contains("CREATE TABLE `notes`"), "a dump of the add-on's tables");

        // A tenant beside it, and a file on this machine: what a hostile file would go for.
        assertEquals(0, api.cli("apps:create", "victim").exitCode());
        assertEquals(0, api.cli("addons:create", "mariadb", "-a", "victim", "--name", "victim-db").exitCode());
        Map<String, String> victim = api.config("victim");
        try (Connection c = connect(victim); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE secrets (s varchar(40))");
            st.execute("INSERT INTO secrets VALUES ('kept')");
        }
        java.nio.file.Path pwned = java.nio.file.Path.of("/tmp/grid-pwned-" + System.nanoTime()); // where anyone, nobody too, could write
        String other = "`" + victim.get("MYSQL_DATABASE") + "`";
        Map<String, String> hostile = new java.util.LinkedHashMap<>();
        hostile.put("a shell escape", "\\! touch " + pwned);
        hostile.put("a shell escape by name", "system touch " + pwned);
        hostile.put("a file of this machine", "CREATE TABLE stolen (line text);\nLOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE stolen;");
        hostile.put("a file of the node", "SELECT 'x' INTO OUTFILE '/tmp/pwned';");
        hostile.put("another tenant's table", "DROP TABLE " + other + ".secrets;");
        hostile.put("another tenant's database", "USE " + other + ";\nDELETE FROM secrets;");
        hostile.put("a user", "CREATE USER intruder IDENTIFIED BY 'x';");
        hostile.put("more privileges", "GRANT ALL ON *.* TO CURRENT_USER();");
        hostile.put("the server's settings", "SET GLOBAL read_only = ON;");
        hostile.put("the binlog", "SET sql_log_bin = 0;");
        hostile.put("a view, which backups do not carry", "CREATE VIEW v AS SELECT note FROM notes;");
        for (var attack : hostile.entrySet()) {
            java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("hostile.sql"), "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n"
                    + "CREATE TABLE notes (note varchar(40));\nINSERT INTO notes VALUES ('hostile');\n" + attack.getValue() + "\n");
            var refused = api.cli("mariadb:backups:restore", "-a", "maria", "--file", file.toString(), "--confirm", "maria");
            assertTrue(refused.exitCode() != 0 && refused.err().contains("nothing was restored"), attack.getKey() + ": " + refused.err());
            assertEquals(List.of("first"), column(env, "SELECT note FROM notes"), attack.getKey() + " changed nothing");
            assertEquals(List.of("kept"), column(victim, "SELECT s FROM secrets"), attack.getKey() + " reached no other tenant");
            assertTrue(!java.nio.file.Files.exists(pwned), attack.getKey() + " ran nothing here");
        }
        assertEquals(List.of(), asKeeper("SELECT user FROM mysql.user WHERE user = 'intruder' OR user LIKE 'grid$%'"), "no user made or left");
        assertEquals(List.of("OFF"), asKeeper("SELECT IF(@@read_only, 'ON', 'OFF')"));
        assertEquals(List.of(), asKeeper("SHOW DATABASES LIKE 'grid$%'"), "no scratch database left");
        var junk = api.cli("mariadb:backups:restore", "-a", "maria", "--file", java.nio.file.Files.writeString(dir.resolve("junk.sql"), "PGDMP not a dump").toString(),
                "--confirm", "maria");
        assertTrue(junk.err().contains("not a mariadb-dump file"), junk.err());

        // A database with a view is refused a backup, and a restore over it, with the reason.
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE VIEW firsts AS SELECT note FROM notes");
        }
        var withView = api.cli("mariadb:backups:capture", "-a", "maria");
        assertTrue(withView.exitCode() != 0 && withView.err().contains("views, triggers, routines or events"), withView.err());
        var overView = api.cli("mariadb:backups:restore", "b001", "-a", "maria", "--confirm", "maria");
        assertTrue(overView.exitCode() != 0 && overView.err().contains("views, triggers, routines or events"), overView.err());
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("DROP VIEW firsts");
        }
        assertEquals(0, api.cli("addons:destroy", "victim-db", "--confirm", "victim-db").exitCode());
    }

    @Test
    @Order(4)
    void killingThePrimaryUnderWritesLosesNoAcknowledgedCommitAndTheKilledNodeRejoins() throws Exception {
        Map<String, String> env = api.config("maria");
        try (Connection c = connect(env); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE chaos (id bigint primary key)");
        }
        PrimaryKills.run("mariadb", grid, KEYS, ROUNDS, this::settled, () -> connect(env), (c, id) -> {
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO chaos VALUES (" + id + ")"); // autocommit: acknowledged once it returns
                if (id % 20 != 0) return null;
                try (ResultSet rs = st.executeQuery("SELECT @@report_host")) { // which node: the route hides it
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }
}
