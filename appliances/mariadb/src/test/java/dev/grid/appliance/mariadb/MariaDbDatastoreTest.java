package dev.grid.appliance.mariadb;

import dev.grid.appliance.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.Datastore.Observation;
import dev.grid.appliance.Datastore.Peer;
import dev.grid.appliance.NodeConfig;
import dev.grid.appliance.NodeReport;
import dev.grid.testing.Eventually;
import dev.grid.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two real MariaDB 10.11 nodes on loopback (127.0.0.2 and 127.0.0.3), driven as their keepers
 * drive them: a primary, a replica copied from it, writes acknowledged only once the replica has
 * them, a failover, and the deposed primary rejoining with a transaction nobody acknowledged,
 * which its new primary refuses, so that it is copied afresh without it.
 */
class MariaDbDatastoreTest {
    static final Map<String, String> SECRETS = Map.of("KEEPER_PASSWORD", "keeper-pw", "REPLICATION_PASSWORD", "replication-pw");

    @Test
    void aWriteWaitsForTheReplicaAndADivergedDeposedPrimaryIsCopiedAfreshWithoutWhatNobodyAcknowledged() throws Exception {
        Path dir = Files.createTempDirectory("grid-mariadb-test");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")); // mysql passes, as to /data
        NodeConfig c0 = node(dir, "n0", "127.0.0.2");
        NodeConfig c1 = node(dir, "n1", "127.0.0.3");
        Peer p0 = new Peer("n0", c0.address(), c0.port());
        Peer p1 = new Peer("n1", c1.address(), c1.port());
        MariaDbDatastore n0 = new MariaDbDatastore();
        MariaDbDatastore n1 = new MariaDbDatastore();
        try {
            n0.configure(c0);
            n0.becomePrimary();
            assertEquals(Role.PRIMARY, n0.observe().role(), n0.observe().message());
            n0.requireSync(p1);
            // No replica yet: a write waits, and is not acknowledged (no fall-back to asynchronous).
            assertEquals("no answer within 3 s", sql(c0, "CREATE DATABASE shop", 3));

            n1.configure(c1);
            n1.follow(p0, false);
            Observation r = Eventually.await("n1 streaming from n0", Duration.ofSeconds(30), n1::observe, o -> "n0".equals(o.upstream()));
            assertEquals(Role.REPLICA, r.role());
            assertEquals("", sql(c0, "CREATE TABLE shop.orders (id int primary key); INSERT INTO shop.orders VALUES (1), (2)", 10),
                    "acknowledged once n1 has it");
            Observation p = Eventually.await("n1 the one replica attached", Duration.ofSeconds(10), n0::observe, o -> "n1".equals(o.activeSync()));
            assertTrue(MariaDbDatastore.POSITIONS.atLeast(p.syncDurable(), p.position()), "n1 received everything: " + p);
            assertEquals("1\n2", sql(c1, "SELECT id FROM shop.orders ORDER BY id", 10), "and applied it");

            // n1 is cut off: n0 writes one more transaction, which waits and is never acknowledged.
            n1.stop();
            assertEquals("no answer within 3 s", sql(c0, "INSERT INTO shop.orders VALUES (3)", 3));
            n0.stop();

            // Failover: n1 is the primary; n0 comes back as its replica.
            n1.becomePrimary();
            n1.requireSync(p0);
            assertEquals(Role.PRIMARY, n1.observe().role());
            n0.follow(p1, false);
            Observation refused = Eventually.await("n1 refusing n0's history", Duration.ofSeconds(30), n0::observe,
                    o -> o.message().contains("1236") || o.message().toLowerCase().contains("gtid"));
            assertNull(refused.upstream(), refused.message());
            n0.follow(p1, true); // the keeper calls it stalled
            Eventually.await("n0 streaming from n1", Duration.ofSeconds(60), n0::observe, o -> "n1".equals(o.upstream()));
            assertEquals("", sql(c1, "INSERT INTO shop.orders VALUES (4)", 10), "n1's writes are acknowledged by n0 again");
            Eventually.await("n0 has applied it", Duration.ofSeconds(10), () -> sql(c0, "SELECT id FROM shop.orders ORDER BY id", 10),
                    s -> s.equals("1\n2\n4"));
            assertTrue(Files.list(dir.resolve("n0")).noneMatch(f -> f.getFileName().toString().startsWith("mariadb.re")),
                    "the copy is in place and nothing of it is left beside");
        } finally {
            n0.stop();
            n1.stop();
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    @Test
    void positionsAreTheSequenceOfTheClustersOneGtidDomain() {
        assertEquals(1234, MariaDbDatastore.sequence("0-2-1234"));
        assertEquals("0-0-0", MariaDbDatastore.gtid(""), "nothing written yet");
        assertEquals("0-3-7", MariaDbDatastore.gtid("1-1-99,0-3-7"));
        assertEquals(42, MariaDbDatastore.sequence("42"), "an earlier keeper reported the sequence number alone");
        assertTrue(MariaDbDatastore.POSITIONS.compare("0-1-9", "0-2-10") < 0, "one history: whichever server wrote it");
        assertEquals(3, MariaDbDatastore.POSITIONS.distance("0-1-7", "0-2-10"));
        assertThrows(IllegalArgumentException.class, () -> MariaDbDatastore.POSITIONS.compare("x-y", "0-1-1"));
        assertEquals(1, MariaDbDatastore.serverId("n0"));
        assertEquals(3, MariaDbDatastore.serverId("n2"));
        assertTrue(MariaDbDatastore.diverged(Map.of("Last_IO_Errno", "1236", "Last_SQL_Errno", "0")));
        assertTrue(MariaDbDatastore.diverged(Map.of("Last_IO_Errno", "0", "Last_SQL_Errno", "1950")));
        assertTrue(!MariaDbDatastore.diverged(Map.of("Last_IO_Errno", "2003", "Last_SQL_Errno", "0")), "its upstream down is no divergence");
        assertEquals("'it''s \\\\ x'", MariaDbDatastore.literal("it's \\ x"));
    }

    static NodeConfig node(Path dir, String id, String address) throws Exception {
        Path data = Files.createDirectories(dir.resolve(id));
        return new NodeConfig(id, address, Ports.free(), data, SECRETS);
    }

    /** SQL as the keeper's user over TCP, as an app would send it: its output, or "no answer within N s". */
    static String sql(NodeConfig node, String sql, int seconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder("mariadb", "-h", node.address(), "-P", String.valueOf(node.port()), "-u", MariaDbDatastore.KEEPER,
                    "-N", "-B", "-e", sql).redirectErrorStream(true);
            pb.environment().put("MYSQL_PWD", SECRETS.get("KEEPER_PASSWORD"));
            Process p = pb.start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return "no answer within " + seconds + " s";
            }
            return new String(p.getInputStream().readAllBytes()).strip();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
