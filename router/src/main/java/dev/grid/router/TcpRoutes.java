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
 */
final class TcpRoutes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpRoutes.class);

    private record Connection(Channel client, Backend backend) {}

    private final class Listener {
        final Route route;
        final Channel server;
        final Set<Connection> connections = ConcurrentHashMap.newKeySet();

        Listener(Route route, Channel server) {
            this.route = route;
            this.server = server;
        }
    }

    private final String bindAddress;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Supplier<RoutingState.View> routes;
    private final Map<Integer, Listener> listeners = new HashMap<>();

    TcpRoutes(String bindAddress, Transport transport, EventLoopGroup boss, EventLoopGroup workers, Supplier<RoutingState.View> routes) {
        this.bindAddress = bindAddress;
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
            if (wanted == null || !wanted.id().equals(e.getValue().route.id())) {
                close(e.getValue());
                it.remove();
            }
        }
        for (Route r : view.tcp().values()) {
            if (!listeners.containsKey(r.port())) bind(r);
        }
        for (Listener l : listeners.values()) {
            ServiceBackends service = view.service(l.route.service());
            for (Connection c : l.connections) {
                boolean stale = l.route.leader() ? c.backend() != service.leader() : c.backend().removed;
                if (stale && l.route.leader()) {
                    c.client().close();
                    l.connections.remove(c);
                }
            }
        }
    }

    private void bind(Route route) {
        Listener[] self = new Listener[1];
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(transport.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new Accept(self[0]));
                        }
                    }).bind(bindAddress, route.port()).sync().channel();
            self[0] = new Listener(route, server);
            listeners.put(route.port(), self[0]);
            log.info("router: TCP route {} on port {} -> {}{}", route.id(), route.port(), route.service(), route.leader() ? " (leader)" : "");
        } catch (Exception e) {
            log.warn("router: cannot listen on port {} for TCP route {}: {}", route.port(), route.id(), e.toString());
        }
    }

    private void close(Listener l) {
        l.server.close();
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
            connect(ctx.channel(), new HashSet<>());
        }

        private void connect(Channel client, Set<Backend> failed) {
            ServiceBackends service = routes.get().service(listener.route.service());
            Backend b = listener.route.leader() ? (failed.contains(service.leader()) ? null : service.leader()) : service.pick(failed);
            if (b == null) {
                client.close();
                return;
            }
            new Bootstrap().group(client.eventLoop()).channel(transport.channel())
                    .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                    .handler(new Relay(client))
                    .connect(b.address).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            failed.add(b);
                            connect(client, failed);
                            return;
                        }
                        if (!client.isActive()) {
                            f.channel().close();
                            return;
                        }
                        Connection c = new Connection(client, b);
                        listener.connections.add(c);
                        client.closeFuture().addListener(x -> listener.connections.remove(c));
                        client.pipeline().replace(this, "relay", new Relay(f.channel()));
                    });
        }
    }

    @Override
    public synchronized void close() {
        listeners.values().forEach(this::close);
        listeners.clear();
    }
}
