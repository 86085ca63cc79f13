package dev.grid.router;

import org.junit.jupiter.api.BeforeAll;

/** The router tests on the transport production picks on this machine (io_uring where the kernel has it). */
class RouterTest extends AbstractRouterTest {
    @BeforeAll
    static void start() throws Exception {
        start(Transport.choose(Transport.AUTO));
    }
}
