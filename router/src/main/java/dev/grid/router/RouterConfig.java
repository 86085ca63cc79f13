package dev.grid.router;

import java.time.Duration;

/**
 * Where the router listens and how it protects itself. {@code httpsPort} 0 picks
 * a free port, -1 turns HTTPS off; {@code headerTimeout} bounds how long a client
 * may take to send a request's headers (slowloris), {@code idleTimeout} how long
 * a keep-alive connection may sit idle, {@code responseTimeout} how long an app may take
 * to start its answer once it has the whole request (Heroku's H12: 30 s), and
 * {@code bodyTimeout} how long a request or response body may stall, neither side moving a
 * byte (Heroku's rolling 55 s). {@code tcpIdleTimeout} closes a TCP route's connection on
 * which nothing moved for that long, and {@code tcpMaxConnections} is what one TCP route
 * takes at once. {@code transport} is how its sockets talk to the kernel. {@code tcpDatapath}
 * says who carries a TCP route's bytes: the kernel (NAT rules, see {@link KernelRoutes}) or
 * the router's relay; {@code hostAddress} is this host's address (its backends are local).
 * {@code accessLog} keeps an access line for every request to an app (see {@link AccessLog}).
 */
public record RouterConfig(String bindAddress, int httpPort, int httpsPort, String tcpBindAddress, String addonBindAddress,
                           Duration headerTimeout, Duration idleTimeout, Duration responseTimeout, Duration bodyTimeout,
                           long maxBodyBytes, Duration tcpIdleTimeout, int tcpMaxConnections, int ioThreads, Transport transport,
                           TcpDatapath tcpDatapath, String hostAddress, boolean accessLog) {
    public static final Duration TCP_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final int TCP_MAX_CONNECTIONS = 10_000;

    public static final int MAX_INITIAL_LINE = 8192;
    public static final int MAX_HEADER_BYTES = 16384;

    public static RouterConfig defaults(String bindAddress, int httpPort, int httpsPort, Transport transport) {
        return new RouterConfig(bindAddress, httpPort, httpsPort, bindAddress, "127.0.0.1", Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(30), Duration.ofSeconds(55), 100L << 20, TCP_IDLE_TIMEOUT, TCP_MAX_CONNECTIONS, Integer.getInteger("grid.router.threads", Runtime.getRuntime().availableProcessors()), transport,
                TcpDatapath.AUTO, "127.0.0.1", true);
    }

    /** This configuration with TCP routes carried by {@code datapath}. */
    public RouterConfig withTcpDatapath(TcpDatapath datapath) {
        return new RouterConfig(bindAddress, httpPort, httpsPort, tcpBindAddress, addonBindAddress, headerTimeout, idleTimeout, responseTimeout,
                bodyTimeout, maxBodyBytes, tcpIdleTimeout, tcpMaxConnections, ioThreads, transport, datapath, hostAddress, accessLog);
    }
}
