package dev.grid.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.store.EtcdAccess;
import dev.grid.store.LocalEtcd;
import dev.grid.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole Grid of a test's own (its own GRID_HOME, etcd, ports, host id and address), for the
 * tests that stop and start servers, which the shared {@link TestCluster} must never do.
 *
 * <p>Such a test runs beside the other tests (junit-platform.properties), one at a time: its class
 * is {@code @Execution(CONCURRENT)} and {@code @ResourceLock(OwnServer.LOCK)}. So it shares nothing
 * with another Grid on this machine but the Docker engine, where its containers carry its host id
 * and its ports are its own.
 */
final class OwnServer {
    /** The lock of the tests that run a Grid of their own: one such Grid at a time. */
    static final String LOCK = "a Grid of a test's own";
    final Path home;
    final String hostId;
    final Map<String, String> env;

    /** @param address the host's address (127.0.0.N, one per test class); the port ranges are the test's own */
    OwnServer(String prefix, String address, String portRange, String tcpPortRange) throws Exception {
        home = Files.createTempDirectory("grid-home");
        hostId = prefix + Long.toHexString(System.nanoTime()).substring(6);
        env = new HashMap<>(Map.of(
                "GRID_HOME", home.toString(),
                "GRID_ETCD_PORT", String.valueOf(dev.grid.testing.Ports.free()),
                "GRID_API_PORT", String.valueOf(dev.grid.testing.Ports.free()),
                "GRID_HOST_ID", hostId,
                "GRID_HOST_ADDRESS", address,
                "GRID_PORT_RANGE", portRange,
                "GRID_LEASE_TTL", "5",
                "GRID_TCP_PORT_RANGE", tcpPortRange));
        for (String port : new String[] {"GRID_HTTP_PORT", "GRID_HTTPS_PORT", "GRID_SSH_PORT", "GRID_BLOB_PORT"}) {
            env.put(port, String.valueOf(dev.grid.testing.Ports.free()));
        }
        env.put("GRID_ROUTER_ADDRESS", "127.0.0.1");
    }

    ServerConfig config() throws Exception {
        return ServerConfig.fromEnv(env);
    }

    /**
     * A server started on this home, as `grid up` would start it. A start that fails closes what
     * it had started (its etcd, its nftables table): the caller has no server to close.
     */
    GridServer start() throws Exception {
        ServerConfig config = config();
        GridServer server = new GridServer();
        // Not while a TestCluster starts, and without an archive, as every test cluster but the
        // archive's own (TestCluster.archiving), whose system properties are set for its start alone.
        synchronized (TestCluster.class) {
            System.setProperty(TestCluster.ARCHIVE_PROPERTY, "off");
            try {
                server.start(config, config.token(env));
            } catch (Exception | Error e) {
                server.close();
                throw e;
            }
        }
        return server;
    }

    /** The CLI's and the API's view, as `grid up` left it in cli.json. */
    TestApi api() throws Exception {
        JsonNode cli = new ObjectMapper().readTree(home.resolve("cli.json").toFile());
        return new TestApi(cli.path("url").asText(), cli.path("token").asText());
    }

    /** Grid's etcd as root, as the server signs in to it. */
    Store store() throws Exception {
        String password = Files.readString(home.resolve("etcd-password")).strip();
        return Store.connect(List.of("http://127.0.0.1:" + env.get("GRID_ETCD_PORT")), config().prefix(), EtcdAccess.password("root", password));
    }

    /**
     * Whatever this Grid may have left, whether its server stopped cleanly or not (a restart that
     * failed leaves a stopped server whose close touches nothing): its containers, its volumes,
     * its nftables table and its local etcd.
     */
    void cleanUp() {
        try (dev.grid.host.Docker docker = new dev.grid.host.Docker(dev.grid.host.Docker.DEFAULT_HOST)) {
            for (var c : docker.list(Map.of("grid.host", hostId))) docker.remove(c.id(), 1);
            docker.removeVolumes(Map.of("grid.managed", "true"), v -> v.startsWith("grid-" + hostId + "-"));
        } catch (Exception e) {
            System.err.println("cleaning up " + hostId + "'s containers: " + e);
        }
        try {
            dev.grid.net.Nft.run("delete", "table", "inet", dev.grid.net.NftTable.tableName(hostId));
        } catch (RuntimeException gone) {
            // no table left
        }
        try {
            Path pid = home.resolve("etcd.pid");
            if (Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(h -> {
                    h.destroy();
                    h.onExit().orTimeout(20, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> null).join();
                });
            }
        } catch (Exception e) {
            System.err.println("stopping " + hostId + "'s etcd: " + e);
        }
        dev.grid.testing.TestDirs.delete(home);
    }
}
