package dev.grid.router;

import dev.grid.core.Route;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening port per TCP route, bound and unbound as routes come and go.
 * Each connection is relayed byte for byte to one backend: any instance of the
 * service, or only its leader. When the leader changes, connections to the old
 * one are closed so that clients reconnect to the new one.
 *
 * <p>A connection on which no byte moves either way for {@code idleTimeout} is closed, and a
 * route takes at most {@code maxConnections} at once: one more is closed as it arrives, with
 * a log line that names the route (at most one per route every 10 s, with the count).
 */
final class TcpRoutes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpRoutes.class);
    private static final Duration BIND_PATIENCE = Duration.ofSeconds(2);

    private record Connection(Channel client, Backend backend) {}
    private static final long REFUSAL_LOG_NANOS = Duration.ofSeconds(10).toNanos();

    /** One route's port: bound once its bind succeeds, never again once closed. */
    private final class Listener {
        final Route route;
        final Set<Connection> connections = ConcurrentHashMap.newKeySet();
        /** Accepted and not yet closed, relayed or not. */
        final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong lastRefusalLog = new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - REFUSAL_LOG_NANOS);
        Channel server;
        volatile boolean closed;

        Listener(Route route) {
            this.route = route;
        }
    }

    private final String bindAddress;
    private final String addonBindAddress;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Supplier<RoutingState.View> routes;
    private final RouterMetrics metrics;
    private final Map<Integer, Listener> listeners = new HashMap<>();
    private final Duration idleTimeout;
    private final int maxConnections;

    TcpRoutes(String bindAddress, String addonBindAddress, Duration idleTimeout, int maxConnections, Transport transport, EventLoopGroup boss, EventLoopGroup workers,
              Supplier<RoutingState.View> routes, RouterMetrics metrics) {
        this.metrics = metrics;
        this.bindAddress = bindAddress;
        this.addonBindAddress = addonBindAddress;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
        this.transport = transport;
        this.boss = boss;
        this.workers = workers;
        this.routes = routes;
    }

    /** Brings listeners in line with the view; closes connections to a deposed leader. */
    synchronized void apply(RoutingState.View view) {
        for (var it = listeners.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Route wanted = view.tcp().get(e.getKey());
            Route had = e.getValue().route;
            if (wanted == null || !wanted.id().equals(had.id()) || wanted.addonOnly() != had.addonOnly()) {
                close(e.getValue());
                it.remove();
            }
        }
        for (Route r : view.tcp().values()) {
            if (!listeners.containsKey(r.port())) {
                Listener l = new Listener(r);
                listeners.put(r.port(), l);
                bind(l);
            }
        }
        for (Listener l : listeners.values()) {
            if (!l.route.leader()) continue; // a connection to any instance lives as long as that instance's end of it
            Backend leader = view.service(l.route.service()).leader();
            for (Connection c : l.connections) {
                if (c.backend() != leader) {
                    c.client().close();
                    l.connections.remove(c);
                }
            }
        }
    }

    /**
     * Binds the route's port; a port in use is tried again for a while (the same
     * port's previous route may be closing: see {@link Transport#bind}). Anything
     * else, or a port still taken after that, is logged and tried again at the next
     * change of routes.
     */
    private void bind(Listener l) {
        ServerBootstrap server = new ServerBootstrap().group(boss, workers).channel(transport.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new io.netty.handler.timeout.IdleStateHandler(0, 0, idleTimeout.toMillis(),
                                java.util.concurrent.TimeUnit.MILLISECONDS) {
                            @Override
                            protected void channelIdle(ChannelHandlerContext ctx, io.netty.handler.timeout.IdleStateEvent evt) {
                                ctx.close(); // nothing either way for idleTimeout
                            }
                        }).addLast(new Accept(l));
                    }
                });
        Transport.bind(server, address(l.route), l.route.port(), BIND_PATIENCE, () -> !l.closed)
                .addListener((GenericFutureListener<Future<Channel>>) f -> bound(l, f));
    }

    /** Where the route's port is open: an add-on's only where apps reach add-ons. */
    private String address(Route route) {
        return route.addonOnly() ? addonBindAddress : bindAddress;
    }

    private synchronized void bound(Listener l, Future<Channel> f) {
        Route route = l.route;
        if (f.isSuccess()) {
            if (l.closed) {
                f.getNow().close();
                return;
            }
            l.server = f.getNow();
            log.info("router: TCP route {} on {}:{} -> {}{}", route.id(), address(route), route.port(), route.service(), route.leader() ? " (leader)" : "");
        } else if (!l.closed) {
            listeners.remove(route.port(), l);
            log.warn("router: cannot listen on port {} for TCP route {}: {}", route.port(), route.id(), f.cause().toString());
        }
    }

    private void close(Listener l) {
        l.closed = true;
        if (l.server != null) l.server.close();
        for (Connection c : l.connections) c.client().close();
        log.info("router: TCP route {} on port {} removed", l.route.id(), l.route.port());
    }

    /** A new client connection: choose a backend and relay. */
    private final class Accept extends ChannelInboundHandlerAdapter {
        private final Listener listener;

        Accept(Listener listener) {
            this.listener = listener;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            RouterMetrics.TcpMeters meters = metrics.tcp(listener.route);
            if (listener.open.incrementAndGet() > maxConnections) {
                listener.open.decrementAndGet();
                refuse(client, meters);
                return;
            }
            client.closeFuture().addListener(x -> listener.open.decrementAndGet());
            connect(client, new HashSet<>(), meters);
        }

        private void refuse(Channel client, RouterMetrics.TcpMeters meters) {
            client.close();
            meters.refused.increment();
            int count = listener.refused.incrementAndGet();
            long last = listener.lastRefusalLog.get();
            long now = System.nanoTime();
            if (now - last >= REFUSAL_LOG_NANOS && listener.lastRefusalLog.compareAndSet(last, now)) {
                listener.refused.addAndGet(-count);
                log.warn("router: TCP route {} on port {} has {} connections, its limit: refused {} more since the last such line",
                        listener.route.id(), listener.route.port(), maxConnections, count);
            }
        }

        private void connect(Channel client, Set<Backend> failed, RouterMetrics.TcpMeters meters) {
            ServiceBackends service = routes.get().service(listener.route.service());
            Backend b = listener.route.leader() ? (failed.contains(service.leader()) ? null : service.leader()) : service.pick(failed);
            if (b == null) {
                client.close();
                meters.refused.increment();
                return;
            }
            new Bootstrap().group(client.eventLoop()).channel(transport.channel())
                    .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                    .handler(new Relay(client, meters.bytesOut))
                    .connect(b.address).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            failed.add(b);
                            connect(client, failed, meters);
                            return;
                        }
                        if (!client.isActive()) {
                            f.channel().close();
                            return;
                        }
                        Connection c = new Connection(client, b);
                        listener.connections.add(c);
                        client.closeFuture().addListener(x -> listener.connections.remove(c));
                        meters.relayed.increment();
                        client.pipeline().replace(this, "relay", new Relay(f.channel(), meters.bytesIn));
                    });
        }
    }

    /** The ports this relay holds a listener for (or is binding). */
    synchronized Set<Integer> ports() {
        return Set.copyOf(listeners.keySet());
    }

    @Override
    public synchronized void close() {
        java.util.List<io.netty.channel.ChannelFuture> closing = new java.util.ArrayList<>();
        for (Listener l : listeners.values()) {
            close(l);
            if (l.server != null) closing.add(l.server.closeFuture());
        }
        listeners.clear();
        // Done once the ports are free: a router started next (a restart) binds them at once.
        for (var f : closing) f.awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
