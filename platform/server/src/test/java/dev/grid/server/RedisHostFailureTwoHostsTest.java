package dev.grid.server;

import java.util.List;

/** Three Redis nodes on two hosts (one host holds two of them): losing the sync's host, then the primary's. */
class RedisHostFailureTwoHostsTest extends RedisHostFailureTest {
    @Override
    int hosts() {
        return 2;
    }

    @Override
    List<String> losses() {
        return List.of("sync", "primary");
    }
}
