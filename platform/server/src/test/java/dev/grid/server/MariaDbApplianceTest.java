package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.ClusterState;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
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

    @Test
    @Order(3)
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
