package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.appliance.ClusterKeys;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Set;

/** {@link HostFailureTest} for Postgres: autocommit INSERTs over JDBC, acknowledged once they return (the sync has them). */
abstract class PostgresHostFailureTest extends HostFailureTest {
    String url;

    @Override
    ClusterKeys provision(TestCluster grid) {
        var created = grid.api.cli("addons:create", "postgres", "-a", "shop", "--name", "shop-db");
        assertEquals(0, created.exitCode(), created.err());
        url = grid.api.config("shop").get("JDBC_DATABASE_URL") + "&connectTimeout=2&socketTimeout=10";
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("CREATE TABLE acks (id int PRIMARY KEY)");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return new ClusterKeys("postgres", "main");
    }

    @Override
    Client connect() throws Exception {
        Connection c = DriverManager.getConnection(url);
        PreparedStatement insert = c.prepareStatement("INSERT INTO acks VALUES (?)");
        return new Client() {
            @Override
            public void write(int id) throws Exception {
                insert.setInt(1, id);
                insert.executeUpdate();
            }

            @Override
            public Set<Integer> stored() throws Exception {
                Set<Integer> out = new HashSet<>();
                try (ResultSet rs = c.createStatement().executeQuery("SELECT id FROM acks")) {
                    while (rs.next()) out.add(rs.getInt(1));
                }
                return out;
            }

            @Override
            public void close() {
                try {
                    c.close();
                } catch (java.sql.SQLException ignored) {
                    // a connection to a lost node: nothing to close
                }
            }
        };
    }
}
