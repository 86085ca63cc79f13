package dev.grid.server;

/** {@link RedisHostFailureTest} in the {@link HostFailureTest#THREE_HOSTS} layout. */
class RedisHostFailureThreeHostsTest extends RedisHostFailureTest {
    @Override
    Layout layout() {
        return THREE_HOSTS;
    }
}
