package dev.grid.router;

import org.junit.jupiter.api.BeforeAll;

/** Every router test again on epoll, the transport Grid falls back to where io_uring is turned off. */
class EpollRouterTest extends AbstractRouterTest {
    @BeforeAll
    static void start() throws Exception {
        start(Transport.EPOLL);
    }
}
