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
import java.net.InetSocketAddress;
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

    public Router start() throws InterruptedException {
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
        tcp = new TcpRoutes(config.tcpBindAddress(), config.transport(), boss, workers, state::view);
        state.onChange(tcp::apply);
        log.info("router: HTTP on {}:{}, HTTPS on {} ({})", config.bindAddress(), httpPort(), httpsPort(), config.transport());
        return this;
    }

    /** An HTTP listener; with certificates, TLS is terminated first, choosing the certificate by SNI. */
    private Channel listen(int port, Bootstrap backends, Certificates certificates) throws InterruptedException {
        return new ServerBootstrap().group(boss, workers).channel(config.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ConnectionTimeouts timeouts = new ConnectionTimeouts(config.headerTimeout(), config.idleTimeout());
                        if (certificates != null) ch.pipeline().addLast(new SniHandler(certificates));
                        ch.pipeline().addLast(timeouts)
                                .addLast(new HttpServerCodec(RouterConfig.MAX_INITIAL_LINE, RouterConfig.MAX_HEADER_BYTES, 8192))
                                .addLast(new HttpProxyHandler(state::view, config, backends, certificates != null, timeouts));
                    }
                }).bind(config.bindAddress(), port).sync().channel();
    }

    public int httpsPort() {
        return https == null ? -1 : ((InetSocketAddress) https.localAddress()).getPort();
    }

    public int httpPort() {
        return ((InetSocketAddress) http.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (state != null) state.close();
        if (tcp != null) tcp.close();
        if (http != null) http.close();
        if (https != null) https.close();
        if (boss != null) boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (workers != null) workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
