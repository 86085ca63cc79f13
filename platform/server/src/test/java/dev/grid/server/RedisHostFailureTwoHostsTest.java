package dev.grid.server;

/** {@link RedisHostFailureTest} in the {@link HostFailureTest#TWO_HOSTS} layout. */
class RedisHostFailureTwoHostsTest extends RedisHostFailureTest {
    @Override
    Layout layout() {
        return TWO_HOSTS;
    }
}
