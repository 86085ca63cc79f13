package dev.grid.server;

import java.util.List;

/** Three hosts with one node each: losing the primary's host (PostgresApplianceTest kills primaries' containers besides). */
class HostFailureThreeHostsTest extends PostgresHostFailureTest {
    @Override
    int hosts() {
        return 3;
    }

    @Override
    List<String> losses() {
        return List.of("primary");
    }
}
