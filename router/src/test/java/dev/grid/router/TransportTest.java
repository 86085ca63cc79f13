package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void autoTakesTheBestTransportThisMachineHas() {
        Transport expected = IoUring.isAvailable() ? Transport.IO_URING : Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
        assertEquals(expected, Transport.choose("auto"));
        assertEquals(expected, Transport.choose(""));
        assertEquals(expected, Transport.choose(null));
    }

    @Test
    void aNamedTransportIsTakenAsNamed() {
        assertEquals(Transport.NIO, Transport.choose("nio"));
        assertEquals(Transport.NIO, Transport.choose(" NIO "));
        if (Epoll.isAvailable()) assertEquals(Transport.EPOLL, Transport.choose("epoll"));
    }

    @Test
    void anUnknownTransportIsRefusedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transport.choose("kqueue"));
        assertEquals("unknown router transport 'kqueue': use auto or one of [io_uring, epoll, nio]", e.getMessage());
    }

    @Test
    void withoutIoUringAutoFallsBackToEpollButANamedIoUringIsAnError() {
        Predicate<Transport> noIoUring = t -> t != Transport.IO_URING;
        Function<Transport, Throwable> why = t -> new IllegalStateException("io_uring is disabled by kernel.io_uring_disabled");
        assertEquals(Transport.EPOLL, Transport.choose("auto", noIoUring, why));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transport.choose("io_uring", noIoUring, why));
        assertEquals("router transport 'io_uring' is not available on this machine (io_uring is disabled by kernel.io_uring_disabled):"
                + " use auto to take the best one that is", e.getMessage());
        assertEquals(Transport.NIO, Transport.choose("auto", t -> t == Transport.NIO, why));
    }
}
