package dev.grid.server;

import java.util.List;

/** Three hosts with one Redis node each: losing the primary's host (RedisApplianceTest kills primaries' containers besides). */
class RedisHostFailureThreeHostsTest extends RedisHostFailureTest {
    @Override
    int hosts() {
        return 3;
    }

    @Override
    List<String> losses() {
        return List.of("primary");
    }
}
