package dev.grid.server;

/** {@link PostgresHostFailureTest} in the {@link HostFailureTest#THREE_HOSTS} layout. */
class HostFailureThreeHostsTest extends PostgresHostFailureTest {
    @Override
    Layout layout() {
        return THREE_HOSTS;
    }
}
