package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.core.GridEndpoint;
import dev.grid.core.HostInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TcpPortsTest {
    private static final List<GridEndpoint> OWN = List.of(new GridEndpoint("the router's HTTP", "10.0.0.1", 80),
            new GridEndpoint("API", "10.0.0.2", 8080), new GridEndpoint("etcd", "10.0.0.2", 7379));
    private static final List<HostInfo> HOSTS = List.of(new HostInfo("h1", "10.0.0.1", 20000, 20999, 4096, Map.of(), null),
            new HostInfo("h2", "10.0.0.2", 22000, 22099, 4096, Map.of(), null));

    @Test
    void grid_sOwnPortsOnAnyMachineAndEveryHostsJobRangeAreTaken() {
        assertEquals(Optional.of("port 80 is Grid's own: the router's HTTP on 10.0.0.1"), TcpPorts.taken(80, OWN, HOSTS));
        assertEquals(Optional.of("port 7379 is Grid's own: etcd on 10.0.0.2"), TcpPorts.taken(7379, OWN, HOSTS));
        assertEquals(Optional.of("port 22099 is in host h2's job port range 22000-22099 (GRID_PORT_RANGE), where apps get their PORT"),
                TcpPorts.taken(22099, OWN, HOSTS));
        assertEquals(Optional.of("port 20000 is in host h1's job port range 20000-20999 (GRID_PORT_RANGE), where apps get their PORT"),
                TcpPorts.taken(20000, OWN, HOSTS));
    }

    @Test
    void anyOtherPortIsFreeOfGrid_sEvenAWellKnownOne() {
        for (int port : List.of(25, 5432, 21000, 21999, 22100, 30000)) assertEquals(Optional.empty(), TcpPorts.taken(port, OWN, HOSTS), "port " + port);
    }
}
