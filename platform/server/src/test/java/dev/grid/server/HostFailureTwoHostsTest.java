package dev.grid.server;

/** {@link PostgresHostFailureTest} in the {@link HostFailureTest#TWO_HOSTS} layout. */
class HostFailureTwoHostsTest extends PostgresHostFailureTest {
    @Override
    Layout layout() {
        return TWO_HOSTS;
    }
}
