package dev.grid.router;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How the router's sockets talk to the kernel. io_uring batches a loop round's
 * reads and writes into one system call: on a proxy's many small messages the
 * router spent about 30 % less CPU per request than on epoll (docs/benchmarks.md,
 * 33 µs against 48 µs); epoll is the fallback
 * where io_uring is missing or turned off (kernel.io_uring_disabled, seccomp), NIO
 * where neither exists.
 */
public enum Transport {
    IO_URING("io_uring", IoUring::isAvailable, IoUring::unavailabilityCause, IoUringIoHandler::newFactory,
            IoUringServerSocketChannel.class, IoUringSocketChannel.class),
    EPOLL("epoll", Epoll::isAvailable, Epoll::unavailabilityCause, EpollIoHandler::newFactory,
            EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO("nio", () -> true, () -> null, NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class);

    private static final long BIND_RETRY_MS = 20;

    /** The setting that picks the best transport this machine has. */
    public static final String AUTO = "auto";

    private final String setting;
    private final BooleanSupplier available;
    private final Supplier<Throwable> unavailabilityCause;
    private final Supplier<IoHandlerFactory> handlers;
    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends SocketChannel> channel;

    Transport(String setting, BooleanSupplier available, Supplier<Throwable> unavailabilityCause, Supplier<IoHandlerFactory> handlers,
              Class<? extends ServerChannel> serverChannel, Class<? extends SocketChannel> channel) {
        this.setting = setting;
        this.available = available;
        this.unavailabilityCause = unavailabilityCause;
        this.handlers = handlers;
        this.serverChannel = serverChannel;
        this.channel = channel;
    }

    /**
     * The transport a setting names: {@code auto} is the first of io_uring, epoll
     * and NIO that works here; a named one that does not work here is an error
     * saying why, not a silent fallback.
     */
    public static Transport choose(String wanted) {
        return choose(wanted, t -> t.available.getAsBoolean(), t -> t.unavailabilityCause.get());
    }

    /** {@link #choose(String)} on a machine where {@code works} says what works, and {@code why} why not. */
    static Transport choose(String wanted, Predicate<Transport> works, Function<Transport, Throwable> why) {
        String w = wanted == null ? AUTO : wanted.trim().toLowerCase(Locale.ROOT);
        if (w.isEmpty() || w.equals(AUTO)) {
            for (Transport t : values()) if (works.test(t)) return t;
        }
        for (Transport t : values()) {
            if (!t.setting.equals(w)) continue;
            if (works.test(t)) return t;
            Throwable cause = why.apply(t);
            throw new IllegalArgumentException("router transport '" + t.setting + "' is not available on this machine ("
                    + (cause == null ? "unknown reason" : cause.getMessage()) + "): use " + AUTO + " to take the best one that is");
        }
        throw new IllegalArgumentException("unknown router transport '" + wanted + "': use " + AUTO + " or one of "
                + Arrays.stream(values()).map(Transport::toString).toList());
    }

    /**
     * Binds, trying a port in use again every 20 ms for {@code patience} while
     * {@code wanted} holds. On io_uring a socket is closed by an operation queued on
     * its event loop, so a port this process closed a moment ago (a router stopped
     * and started in one process, a TCP route replaced on its port) is free only a
     * little after {@code close()} has returned. Any other failure ends at once.
     */
    static Future<Channel> bind(ServerBootstrap bootstrap, String host, int port, Duration patience, BooleanSupplier wanted) {
        EventLoop loop = bootstrap.config().group().next();
        Promise<Channel> bound = loop.newPromise();
        bind(bootstrap, host, port, System.nanoTime() + patience.toNanos(), wanted, loop, bound);
        return bound;
    }

    private static void bind(ServerBootstrap bootstrap, String host, int port, long deadline, BooleanSupplier wanted,
                             EventLoop loop, Promise<Channel> bound) {
        bootstrap.bind(host, port).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                bound.setSuccess(f.channel());
            } else if (addressInUse(f.cause()) && System.nanoTime() < deadline && wanted.getAsBoolean() && !loop.isShuttingDown()) {
                loop.schedule(() -> bind(bootstrap, host, port, deadline, wanted, loop, bound), BIND_RETRY_MS, TimeUnit.MILLISECONDS);
            } else {
                bound.setFailure(f.cause());
            }
        });
    }

    private static boolean addressInUse(Throwable bindFailure) {
        for (Throwable t = bindFailure; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) return true;
        }
        return false;
    }

    EventLoopGroup group(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, handlers.get());
    }

    Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    Class<? extends SocketChannel> channel() {
        return channel;
    }

    @Override
    public String toString() {
        return setting;
    }
}
