package dev.grid.router;

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
    private Channel http;
    private Channel https;

    public Router(Store store, RouterConfig config) {
        this.store = store;
        this.config = config;
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
        tcp = new TcpRoutes(config.tcpBindAddress(), config.addonBindAddress(), config.tcpIdleTimeout(), config.tcpMaxConnections(), config.transport(), boss, workers, state::view);
        state.onChange(tcp::apply);
        log.info("router: HTTP on {}:{}, HTTPS on {} ({})", config.bindAddress(), httpPort(), httpsPort(), config.transport());
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
                        if (certificates != null) ch.pipeline().addLast(new SniHandler(certificates));
                        ch.pipeline().addLast(timeouts)
                                .addLast(new HttpServerCodec(RouterConfig.MAX_INITIAL_LINE, RouterConfig.MAX_HEADER_BYTES, 8192))
                                .addLast(new HttpProxyHandler(state::view, config, backends, certificates != null, timeouts));
                    }
                });
        Future<Channel> bound = Transport.bind(server, config.bindAddress(), port, Duration.ofSeconds(5), () -> true).await();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("router: cannot listen on " + config.bindAddress() + ":" + port + ": " + bound.cause().getMessage(), bound.cause());
        }
        return bound.getNow();
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
        if (state != null) state.close();
        if (tcp != null) tcp.close();
        if (http != null) http.close();
        if (https != null) https.close();
        // A quiet period, not 0: on io_uring a close is an operation queued on the loop,
        // and a loop that ends before submitting it leaves the socket open (seen: the
        // HTTPS port still listening after close).
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
