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
    void badSettingsAreRefusedNamingTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ROUTER_TRANSPORT", "dpdk")));
        assertEquals("invalid GRID_ROUTER_TRANSPORT: unknown router transport 'dpdk': use auto or one of [io_uring, epoll, nio]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_TCP_PORT_RANGE", "31000-30000")));
        assertEquals("invalid GRID_TCP_PORT_RANGE '31000-30000': use LOW-HIGH, e.g. 20000-20999", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("GRID_ROLES", "router,dns")));
        assertEquals("unknown role 'dns' in GRID_ROLES: use " + ServerConfig.ALL_ROLES, e.getMessage());
    }
}
