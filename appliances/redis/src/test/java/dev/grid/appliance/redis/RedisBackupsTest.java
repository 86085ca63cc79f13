package dev.grid.appliance.redis;

import dev.grid.appliance.Role;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.NodeReport;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisBackupsTest {
    static Object parse(String wire) throws Exception {
        return Resp.parse(new DataInputStream(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1))));
    }

    @Test
    void respEncodesBinaryArgumentsAndReadsEveryReplyKind() throws Exception {
        assertArrayEquals("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\u0000\r\r\n".getBytes(StandardCharsets.ISO_8859_1),
                Resp.encode("SET", "k", new byte[] {0, '\r'}), "a payload's bytes as they are, CR included");
        assertEquals("OK", parse("+OK\r\n"));
        assertEquals(42L, parse(":42\r\n"));
        assertArrayEquals(new byte[] {'a', '\r', '\n', 'b'}, (byte[]) parse("$4\r\na\r\nb\r\n"), "a bulk reply is read by its length, not to a newline");
        assertNull(parse("$-1\r\n"));
        Resp.Error e = assertThrows(Resp.Error.class, () -> parse("-ERR no\r\n"));
        assertEquals("ERR no", e.getMessage());
        List<?> exec = (List<?>) parse("*2\r\n+OK\r\n-BUSYKEY exists\r\n");
        assertEquals("OK", exec.get(0));
        assertTrue(exec.get(1) instanceof Resp.Error err && err.getMessage().equals("BUSYKEY exists"), "an error inside EXEC's replies is that command's");
        assertThrows(java.io.EOFException.class, () -> parse("$5\r\nab"));
        assertEquals(Map.of("used_memory", "100", "db0", "keys=1,expires=0"), Resp.fields("# Memory\r\nused_memory:100\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n"));
    }

    @Test
    void aRestoreThatWouldNotFitTheNodesMemoryIsRefusedBeforeAnythingChanges() {
        long mb = 1 << 20;
        assertNull(RedisBackups.refusal(10 * mb, 20 * mb, 10 * mb, 128 * mb));
        assertNull(RedisBackups.refusal(50 * mb, 20 * mb, 50 * mb, 128 * mb), "the old data is gone before the new is made: the larger of the two counts");
        String refused = RedisBackups.refusal(60 * mb, 20 * mb, 60 * mb, 128 * mb);
        assertEquals("the backup needs about 120 MB of memory to restore and the node has 128 MB (its maxmemory, or its container's);"
                + " restore it into an add-on with more", refused);
        assertTrue(RedisBackups.refusal(10 * mb, 40 * mb, 10 * mb, 32 * mb) != null, "a maxmemory below the container's is the limit");
    }

    @Test
    void aBackupIsTakenFromTheReplicaThatStreamsFromThePrimaryAndFromThePrimaryWithoutOne() {
        NodeReport primary = new NodeReport("n0", "127.0.0.2", 1, Role.PRIMARY, 1, null, "10", null, 0, "");
        NodeReport replica = new NodeReport("n1", "127.0.0.3", 2, Role.REPLICA, 1, "n0", "10", null, 0, "");
        NodeReport stopped = new NodeReport("n2", "127.0.0.4", 3, Role.STOPPED, 1, "n0", "10", null, 5, "");
        NodeReport chained = new NodeReport("n3", "127.0.0.5", 4, Role.REPLICA, 1, "n1", "10", null, 0, "");
        assertEquals("n1", RedisBackups.source(List.of(primary, stopped, chained, replica), "n0").id());
        assertNull(RedisBackups.source(List.of(primary, stopped, chained), "n0"), "a stopped replica or one a hop away is not read");
        assertNull(RedisBackups.source(List.of(primary), "n0"));
    }

    /** An RDB as a redis-server of this machine writes it, holding {@code key = value}. */
    static Path rdb(Path dir, String key, String value) throws Exception {
        Path socket = dir.resolve("made.sock");
        Process server = new ProcessBuilder("redis-server", "--port", "0", "--unixsocket", socket.toString(), "--dir", dir.toString(),
                "--dbfilename", "made.rdb", "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(dir.resolve("made.log").toFile()).start();
        try {
            for (int i = 0; i < 200 && !Files.exists(socket); i++) Thread.sleep(25);
            try (Resp c = Resp.unix(socket)) {
                c.call("SET", key, value);
                c.call("SELECT", "3");
                c.call("SET", "elsewhere", "x", "PX", "100000");
                assertEquals("OK", c.call("SAVE"));
            }
        } finally {
            server.destroy();
            server.waitFor();
        }
        return dir.resolve("made.rdb");
    }

    @Test
    void theScratchServerReadsTheFileAsNobodyOnASocketOnlyAndGivesOneRestorePerKey() throws Exception {
        Path dir = Files.createTempDirectory("grid-redis-backups-test");
        Path made = rdb(dir, "k", "v");
        try (RedisBackups.Scratch scratch = RedisBackups.Scratch.load(made)) {
            List<Object[]> restores = scratch.restores();
            assertEquals(4, restores.size(), "SELECT 0, RESTORE k, SELECT 3, RESTORE elsewhere");
            assertEquals(List.of("SELECT", "0"), List.of(restores.get(0)));
            assertEquals("RESTORE", restores.get(1)[0]);
            assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), (byte[]) restores.get(1)[1]);
            assertEquals(0L, restores.get(1)[2], "no TTL");
            long ttl = (Long) restores.get(3)[2];
            assertTrue(ttl > 90_000 && ttl <= 100_000, "a TTL carried over: " + ttl);
            assertTrue(scratch.dataset() > 0);
            // What a hostile file's parser could reach: no TCP port, and a directory only its own user enters.
            String listening = new String(new ProcessBuilder("ss", "-Htlnp").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(listening.lines().noneMatch(l -> l.contains("redis-server") && l.contains("pid=" + scratch.pid() + ",")), listening);
            if ("root".equals(System.getProperty("user.name"))) {
                assertEquals("nobody", Files.getOwner(scratch.dir()).getName());
                assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(scratch.dir())));
                String user = new String(new ProcessBuilder("ps", "-o", "user=", "-p", String.valueOf(scratch.pid())).start().getInputStream().readAllBytes()).strip();
                assertEquals("nobody", user, "the server reading the file runs as nobody");
            }
        }
        Path junk = Files.writeString(dir.resolve("junk.rdb"), "REDIS0010 not a snapshot");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisBackups.Scratch.load(junk));
        assertTrue(e.getMessage().startsWith("the file is not a valid Redis RDB file, so nothing was restored ("), e.getMessage());
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("grid-redis-restore-")), "scratch directories are removed");
        }
    }
}
