package dev.grid.router;

import dev.grid.net.Nft;
import dev.grid.net.NftTable;
import dev.grid.store.Store;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SniHandler;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Grid's router: HTTP by Host and path, and TCP routes, learned live from etcd. */
public final class Router implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private final Store store;
    private final RouterConfig config;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private RoutingState state;
    private TcpRoutes tcp;
    private KernelTcpRoutes kernel;
    private final NftTable table;
    private String datapath = "relay";
    private Channel http;
    private Channel https;
    private final AccessLog accessLog = new AccessLog();
    private final RouterMetrics metrics;

    /** A router whose TCP routes are relayed (it has no nftables table to write). */
    public Router(Store store, RouterConfig config) {
        this(store, config, null);
    }

    /** A router whose TCP routes go in {@code table} (its part of the host's table) where {@code config.tcpDatapath()} allows. */
    public Router(Store store, RouterConfig config, NftTable table) {
        this(store, config, table, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** The same, recording its requests and connections in {@code registry}. */
    public Router(Store store, RouterConfig config, NftTable table, io.micrometer.core.instrument.MeterRegistry registry) {
        this.store = store;
        this.config = config;
        this.table = table;
        this.metrics = new RouterMetrics(registry);
    }

    /** Starts routing; a start that fails (a port taken) leaves nothing running. */
    public Router start() throws InterruptedException {
        try {
            return start0();
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
    }

    private Router start0() throws InterruptedException {
        boss = config.transport().group(1);
        workers = config.transport().group(config.ioThreads());
        state = new RoutingState(store).start();
        state.onChange(view -> {
            java.util.Set<String> routed = appsOf(view.http().services());
            if (config.accessLog()) accessLog.retain(routed);
            metrics.retainApps(routed);
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (dev.grid.core.Route r : view.tcp().values()) ids.add(r.id());
            metrics.retainRoutes(ids);
        });
        Bootstrap backends = new Bootstrap().channel(config.transport().channel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(HttpProxyHandler.BACKEND_CODEC, HttpProxyHandler.backendCodec())
                                .addLast(HttpProxyHandler.BACKEND_HANDLER, new HttpProxyHandler.BackendHandler());
                    }
                });
        http = listen(config.httpPort(), backends, null);
        if (config.httpsPort() >= 0) {
            Certificates certificates = new Certificates();
            state.onChange(view -> certificates.update(view.certs()));
            https = listen(config.httpsPort(), backends, certificates);
        }
        tcp = new TcpRoutes(config.tcpBindAddress(), config.addonBindAddress(), config.tcpIdleTimeout(), config.tcpMaxConnections(), config.transport(), boss, workers, state::view, metrics);
        String unusable = kernelUnusable();
        if (unusable == null) {
            kernel = new KernelTcpRoutes(store, config, table, tcp, metrics);
            state.onChange(kernel::apply); // the table is written from etcd's state before any route is served
            datapath = "kernel";
        } else {
            if (config.tcpDatapath() == TcpDatapath.KERNEL) throw new IllegalStateException("GRID_TCP_DATAPATH=kernel, but " + unusable);
            state.onChange(tcp::apply);
            datapath = config.tcpDatapath() == TcpDatapath.PROXY ? "relay (GRID_TCP_DATAPATH=proxy)" : "relay (" + unusable + ")";
        }
        log.info("router: HTTP on {}:{}, HTTPS on {} (HTTP/2 and HTTP/1.1, TLS by {}) ({}); TCP routes: {}", config.bindAddress(), httpPort(), httpsPort(),
                Certificates.PROVIDER, config.transport(), datapath);
        return this;
    }

    /**
     * An HTTP listener; with certificates, TLS is terminated first, choosing the
     * certificate by SNI. A port in use is tried again for up to 5 s (see
     * {@link Transport#bind}); after that the error is the caller's.
     */
    private Channel listen(int port, Bootstrap backends, Certificates certificates) throws InterruptedException {
        ServerBootstrap server = new ServerBootstrap().group(boss, workers).channel(config.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ConnectionTimeouts timeouts = new ConnectionTimeouts(config.headerTimeout(), config.idleTimeout(), config.responseTimeout(), config.bodyTimeout());
                        java.util.function.Consumer<io.netty.channel.ChannelPipeline> http1 = p -> p
                                .addLast(new HttpServerCodec(RouterConfig.MAX_INITIAL_LINE, RouterConfig.MAX_HEADER_BYTES, 8192))
                                .addLast(new HttpProxyHandler(state::view, config, backends, certificates != null, false, timeouts, accessLines(), metrics));
                        if (certificates == null) {
                            http1.accept(ch.pipeline().addLast(timeouts));
                            return;
                        }
                        // TLS: HTTP/2 or HTTP/1.1, as the client chose by ALPN once the handshake is done.
                        ch.pipeline().addLast(new SniHandler(certificates)).addLast(timeouts)
                                .addLast(Http2Frontend.negotiation(http1, () -> {
                                    ConnectionTimeouts stream = ConnectionTimeouts.forStream(config.headerTimeout(), config.idleTimeout(),
                                            config.responseTimeout(), config.bodyTimeout());
                                    return new io.netty.channel.ChannelHandler[] {stream, new HttpProxyHandler(state::view, config, backends, true, true, stream, accessLines(), metrics)};
                                }, config.idleTimeout()));
                    }
                });
        Future<Channel> bound = Transport.bind(server, config.bindAddress(), port, Duration.ofSeconds(5), () -> true).await();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("router: cannot listen on " + config.bindAddress() + ":" + port + ": " + bound.cause().getMessage(), bound.cause());
        }
        return bound.getNow();
    }

    /** Why TCP routes cannot go in the kernel here, or null if they can. */
    private String kernelUnusable() {
        if (config.tcpDatapath() == TcpDatapath.PROXY) return "GRID_TCP_DATAPATH=proxy";
        if (table == null) return "this router has no nftables table";
        String nft = Nft.unusable();
        if (nft != null) return "nftables cannot be used here: " + nft;
        String conntrack = Conntrack.unusable();
        if (conntrack != null) return conntrack;
        return null;
    }

    private static java.util.Set<String> appsOf(java.util.Set<String> services) {
        java.util.Set<String> apps = new java.util.HashSet<>();
        for (String s : services) apps.add(dev.grid.core.App.appOf(s));
        return apps;
    }

    /** Where the proxies put access lines: nowhere with them off. */
    private AccessLog accessLines() {
        return config.accessLog() ? accessLog : null;
    }

    /** The access lines of the requests this router served (none are kept with {@code accessLog} off). */
    public AccessLog accessLog() {
        return accessLog;
    }

    /** Who carries TCP routes: "kernel", or "relay (WHY)". */
    public String tcpDatapath() {
        return datapath;
    }

    /** Per TCP route port, which path serves it on this router now ("kernel", or "relay: WHY"). */
    public java.util.Map<Integer, String> tcpPaths() {
        if (kernel != null) return kernel.paths();
        java.util.Map<Integer, String> out = new java.util.HashMap<>();
        for (int p : tcp.ports()) out.put(p, "relay");
        return out;
    }

    public int httpsPort() {
        return https == null ? -1 : ((InetSocketAddress) https.localAddress()).getPort();
    }

    public int httpPort() {
        return ((InetSocketAddress) http.localAddress()).getPort();
    }

    /** Stops routing; returns once its event loops have ended (bounded: 5 s each). */
    @Override
    public void close() {
        close(true);
    }

    /**
     * Stops routing. Without {@code removeKernelRoutes} the TCP routes on the kernel path keep
     * serving as they were (the server is restarting: the next router rebuilds them from etcd
     * before it serves anything); HTTP and relayed routes stop either way.
     */
    public void close(boolean removeKernelRoutes) {
        if (state != null) state.close();
        accessLog.close();
        if (kernel != null) kernel.close(removeKernelRoutes);
        if (tcp != null) tcp.close();
        // On io_uring a close is an operation queued on the loop: wait until it is done, or the
        // port may still be listening when this returns (seen in CI: a restarted server's router
        // could not bind the HTTPS port for 5 s).
        for (Channel listener : new Channel[] {http, https}) {
            if (listener != null && !listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                log.warn("router: {} still open 5 s after close", listener.localAddress());
            }
        }
        // A quiet period, not 0: a loop that ends before submitting the close of a socket leaves it open.
        for (EventLoopGroup g : new EventLoopGroup[] {boss, workers}) {
            if (g != null) g.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS);
        }
        for (EventLoopGroup g : new EventLoopGroup[] {boss, workers}) {
            if (g != null && !g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS)) {
                log.warn("router: event loops still running 5 s after close; its ports may not be free yet");
            }
        }
    }
}
