package dev.grid.router;

import dev.grid.core.Route;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * One client connection: routes each request by Host and path, forwards it to a
 * backend chosen by the power of two choices over a pooled keep-alive
 * connection, and streams the response back. Requests on one connection are
 * handled in order; a WebSocket upgrade turns both connections into a byte relay.
 * A connect failure is retried on another backend; nothing else is retried.
 *
 * <p>Bodies are streamed with backpressure both ways, as {@link Relay} does for TCP: while
 * the side a body goes to is not writable (its outbound buffer is past Netty's high-water
 * mark, 64 KiB), the side it comes from is not read, and reading resumes when it drains.
 * So a client that reads slowly slows the app's answer instead of filling the router's
 * memory, and a slow app slows an upload.
 */
final class HttpProxyHandler extends ChannelInboundHandlerAdapter {
    private static final Pattern VALID_REQUEST_ID = Pattern.compile("[A-Za-z0-9+/=_-]{20,200}");
    private static final io.netty.util.AsciiString X_FORWARDED_FOR = io.netty.util.AsciiString.cached("X-Forwarded-For");
    private static final io.netty.util.AsciiString X_FORWARDED_PROTO = io.netty.util.AsciiString.cached("X-Forwarded-Proto");
    private static final io.netty.util.AsciiString X_FORWARDED_PORT = io.netty.util.AsciiString.cached("X-Forwarded-Port");
    private static final io.netty.util.AsciiString X_REQUEST_START = io.netty.util.AsciiString.cached("X-Request-Start");
    private static final io.netty.util.AsciiString X_REQUEST_ID = io.netty.util.AsciiString.cached("X-Request-Id");
    private static final io.netty.util.AsciiString X_GRID_MAINTENANCE = io.netty.util.AsciiString.cached("X-Grid-Maintenance");
    private static final String MAINTENANCE_WHY = "the app is in maintenance mode (grid maintenance:off -a APP ends it)";
    /** What an app in maintenance mode answers (Heroku's H80), with {@link #X_GRID_MAINTENANCE} saying why. */
    static final byte[] MAINTENANCE_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Down for maintenance</title></head>\n"
            + "<body><h1>Down for maintenance</h1><p>This app is being worked on and will be back shortly.</p></body></html>\n").getBytes(StandardCharsets.UTF_8);
    static final String BACKEND_CODEC = "backend-codec";
    private static final int MAX_QUEUED = 64;
    /** Body bytes held for a backend that is still connecting, beyond which the client is not read. */
    private static final int MAX_PENDING_BODY = 64 << 10;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HttpProxyHandler.class);
    static final String BACKEND_HANDLER = "backend-handler";

    private final Supplier<RoutingState.View> routes;
    private final RouterConfig config;
    private final Bootstrap backendBootstrap;
    private final boolean tls;
    /** One HTTP/2 stream (its channel a stream's child channel), not an HTTP/1.x connection. */
    private final boolean http2;
    private final ConnectionTimeouts headerTimeout;

    private ChannelHandlerContext ctx;
    private String clientIp;
    private String localPort;
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    /** From a request's head until its response is complete. */
    private boolean busy;
    private boolean discardBody;
    private boolean requestDone;
    private boolean keepAlive;
    private boolean websocket;
    private boolean responseStarted;
    private boolean backendKeepAlive;
    private HttpRequest request;
    private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>();
    private long pendingBodyBytes;
    /** The request body's bytes so far, whatever its framing (a chunked body has no Content-Length to check). */
    private long bodyBytes;
    /** A 1xx answer (100 Continue) was passed on: the empty end the codec adds to it is not the response's. */
    private boolean interim;
    private String serviceName;
    /** The current request's X-Request-Id, also on the router's own answers to it (502, 503, ...). */
    private String requestId;
    /** The current request's: whether its answer can have a body, and whether its client speaks HTTP/1.1 (chunked). */
    private boolean headRequest;
    private boolean clientHttp11;
    /** The current request's route's own answer timeout, or null for the router's. */
    private java.time.Duration responseTimeout;
    private Backend backend;
    private Channel backendChannel;
    /** Where the access lines go; null with them off. */
    private final AccessLog accessLog;
    private final RouterMetrics metrics;
    /** Whether the current request is counted yet (once, by {@link #account}). */
    private boolean accounted;
    /** The current request's, for its access line (kept only once it matched a route, as serviceName says). */
    private String method;
    private String path;
    private String host;
    private long startMillis;
    private long startNanos;
    private long connectedNanos;
    private int status;
    private long responseBytes;
    private Backend answeredBy;

    HttpProxyHandler(Supplier<RoutingState.View> routes, RouterConfig config, Bootstrap backendBootstrap, boolean tls, boolean http2,
                     ConnectionTimeouts headerTimeout, AccessLog accessLog, RouterMetrics metrics) {
        this.accessLog = accessLog;
        this.metrics = metrics;
        this.routes = routes;
        this.config = config;
        this.backendBootstrap = backendBootstrap;
        this.tls = tls;
        this.http2 = http2;
        this.headerTimeout = headerTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        queued.add(msg);
        drain();
        updateReading();
    }

    /**
     * Reads the client while what it sent can go somewhere: not while it pipelines far ahead,
     * and not while the backend its body goes to (or the queue for one still connecting) is full.
     */
    private void updateReading() {
        boolean read = queued.size() <= MAX_QUEUED
                && (backendChannel != null ? backendChannel.isWritable() : pendingBodyBytes <= MAX_PENDING_BODY);
        if (ctx.channel().config().isAutoRead() != read) ctx.channel().config().setAutoRead(read);
    }

    /** Whether the backend's answer may be read: while the client can take more of it. */
    private void updateBackendReading() {
        if (backendChannel == null) return;
        boolean read = ctx.channel().isWritable();
        if (backendChannel.config().isAutoRead() != read) backendChannel.config().setAutoRead(read);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateBackendReading();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ConnectionTimeouts.RESPONSE_TIMEOUT) {
            if (busy && !responseStarted && backendChannel != null) {
                long seconds = (responseTimeout == null ? config.responseTimeout() : responseTimeout).toSeconds();
                log.warn("router: H12 request timeout: a request from {} to service '{}' ({}) had no answer within {} s",
                        clientIp, serviceName, backend.address, seconds);
                dropBackend();
                fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "the app did not answer within " + seconds + " s (H12 request timeout)", true, AccessLog.Error.H12);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Lets go of the backend mid-exchange: its connection cannot be reused. */
    private void dropBackend() {
        if (backendChannel == null) return;
        ((BackendHandler) backendChannel.pipeline().get(BACKEND_HANDLER)).frontend = null;
        backend.inFlight.decrementAndGet();
        backendChannel.close();
        backendChannel = null;
        backend = null;
    }

    /** Handles messages in order; a pipelined request's head waits until the current response is done. */
    private void drain() {
        while (!queued.isEmpty()) {
            if (busy && queued.peek() instanceof HttpRequest) return;
            handle(queued.poll());
        }
    }

    private void handle(Object msg) {
        if (http2 && msg instanceof io.netty.handler.codec.http.FullHttpRequest full) {
            // A stream whose HEADERS ended it: a head and an empty end, as HTTP/1's codec gives them.
            // (HTTP/1's codec makes a whole request only of what it could not decode: that one goes as it is.)
            HttpRequest head = new io.netty.handler.codec.http.DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
            head.setDecoderResult(full.decoderResult());
            onRequest(head);
            onBody(new io.netty.handler.codec.http.DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            return;
        }
        if (msg instanceof HttpRequest req) {
            onRequest(req);
        }
        if (msg instanceof HttpContent content) {
            onBody(content);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        headerTimeout.headReceived();
        startNanos = System.nanoTime();
        requestId = null;
        serviceName = null;
        accounted = false;
        answeredBy = null;
        status = 0;
        responseBytes = 0;
        busy = true;
        requestDone = false;
        responseStarted = false;
        discardBody = false;
        interim = false;
        bodyBytes = 0;
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                fail(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "the request headers exceed " + RouterConfig.MAX_HEADER_BYTES + " bytes", true);
            } else if (cause instanceof TooLongHttpLineException) {
                fail(HttpResponseStatus.REQUEST_URI_TOO_LONG, "the request line exceeds " + RouterConfig.MAX_INITIAL_LINE + " bytes", true);
            } else {
                fail(HttpResponseStatus.BAD_REQUEST, "malformed request: " + (cause instanceof TooLongFrameException ? "too long" : cause.getMessage()), true);
            }
            return;
        }
        String te = req.headers().get(HttpHeaderNames.TRANSFER_ENCODING);
        if (te != null && !te.substring(te.lastIndexOf(',') + 1).strip().equalsIgnoreCase("chunked")) {
            // RFC 9112 6.3: without chunked last, the body's length cannot be known; the app might
            // read it otherwise than the router does (request smuggling).
            fail(HttpResponseStatus.BAD_REQUEST, "malformed request: Transfer-Encoding must end with chunked", true);
            return;
        }
        keepAlive = HttpUtil.isKeepAlive(req);
        headRequest = io.netty.handler.codec.http.HttpMethod.HEAD.equals(req.method());
        clientHttp11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
        long length = HttpUtil.getContentLength(req, -1L);
        if (length > config.maxBodyBytes()) {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the request body exceeds " + config.maxBodyBytes() + " bytes", true);
            return;
        }
        String host = req.headers().get(HttpHeaderNames.HOST);
        RoutingState.View view = routes.get();
        Route route = view.http().match(host, req.uri());
        if (route == null) {
            fail(HttpResponseStatus.NOT_FOUND, "no route for host '" + (host == null ? "" : RouteTable.normalizeHost(host)) + "' and path '" + req.uri() + "'", false);
            return;
        }
        serviceName = route.service();
        method = req.method().name();
        path = req.uri();
        this.host = host;
        startMillis = System.currentTimeMillis();
        if (!view.maintenance().isEmpty() && view.maintenance().contains(dev.grid.core.App.appOf(route.service()))) {
            respond(HttpResponseStatus.SERVICE_UNAVAILABLE, "text/html; charset=utf-8", MAINTENANCE_PAGE, false, AccessLog.Error.H80, X_GRID_MAINTENANCE, MAINTENANCE_WHY);
            return;
        }
        ServiceBackends service = view.service(route.service());
        if (service.all().isEmpty()) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no backend is up for service '" + route.service() + "'", false, AccessLog.Error.H14);
            return;
        }
        websocket = isWebSocketUpgrade(req);
        prepare(req);
        request = req;
        responseTimeout = route.timeoutSeconds() > 0 ? java.time.Duration.ofSeconds(route.timeoutSeconds()) : null;
        connect(service, Set.of(), route.service());
    }

    /** A random UUID without SecureRandom's lock: request ids need uniqueness, not secrecy. */
    static String requestId() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }

    private static boolean isWebSocketUpgrade(HttpRequest req) {
        return req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && req.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private void prepare(HttpRequest req) {
        HttpHeaders h = req.headers();
        // Hop-by-hop first, so that no Connection option takes what the router sets below. The
        // connection to the backend is ours, kept alive and pooled; a WebSocket's upgrade goes through.
        if (!websocket) HopByHop.strip(h);
        String clientIp = clientIp();
        String forwarded = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, forwarded == null ? clientIp : forwarded + ", " + clientIp);
        h.set(X_FORWARDED_PROTO, tls ? "https" : "http");
        h.set(X_FORWARDED_PORT, localPort);
        h.set(X_REQUEST_START, "t=" + startMillis);
        String id = h.get(X_REQUEST_ID);
        if (id == null || !VALID_REQUEST_ID.matcher(id).matches()) h.set(X_REQUEST_ID, id = requestId());
        requestId = id;
        // An HTTP/1.0 client's expectation is to be ignored (RFC 9110 10.1.1): no 100 is coming for it.
        if (!clientHttp11) h.remove(HttpHeaderNames.EXPECT);
        if (!websocket) req.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (http2) {
            // Netty's HTTP/2 mapping adds its own names (x-http2-scheme, -stream-id): they are not the app's.
            for (var name : io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames.values()) h.remove(name.text());
            HopByHop.viaHttp2(h);
        } else {
            HopByHop.via(h, clientHttp11 ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0);
        }
    }

    private String clientIp() {
        if (clientIp == null) {
            clientIp = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
            localPort = String.valueOf(((InetSocketAddress) ctx.channel().localAddress()).getPort());
        }
        return clientIp;
    }

    private void connect(ServiceBackends service, Set<Backend> failed, String serviceName) {
        Backend b = service.pick(failed);
        if (b == null) {
            fail(HttpResponseStatus.BAD_GATEWAY, "could not connect to any backend of service '" + serviceName + "'", false, AccessLog.Error.H21);
            return;
        }
        Channel pooled = websocket ? null : BackendPool.take(b);
        if (pooled != null) {
            attach(b, pooled);
            return;
        }
        ChannelFuture f = backendBootstrap.clone(ctx.channel().eventLoop()).connect(b.address);
        f.addListener((ChannelFutureListener) done -> {
            if (!ctx.channel().isActive() || request == null) {
                // The client left, or was answered meanwhile (a body over the limit): nothing to send.
                done.channel().close();
                releasePending();
                return;
            }
            if (done.isSuccess()) {
                attach(b, done.channel());
            } else {
                Set<Backend> tried = new HashSet<>(failed); // allocated only when a connect fails
                tried.add(b);
                connect(service, tried, serviceName);
            }
        });
    }

    private void attach(Backend b, Channel ch) {
        backend = b;
        answeredBy = b;
        connectedNanos = System.nanoTime();
        backendChannel = ch;
        b.inFlight.incrementAndGet();
        ((BackendHandler) ch.pipeline().get(BACKEND_HANDLER)).frontend = this;
        ch.write(request);
        request = null;
        HttpContent c;
        while ((c = pendingBody.poll()) != null) ch.write(c);
        pendingBodyBytes = 0;
        ch.flush();
        if (requestDone) headerTimeout.requestSent(responseTimeout);
        updateBackendReading();
        updateReading();
    }

    private void onBody(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (discardBody || !busy) {
            content.release();
        } else if ((bodyBytes += content.content().readableBytes()) > config.maxBodyBytes()) {
            content.release();
            bodyTooLarge();
            return;
        } else if (backendChannel != null) {
            backendChannel.write(content, backendChannel.voidPromise()); // flushed at the end of this read batch
        } else {
            pendingBodyBytes += content.content().readableBytes();
            pendingBody.add(content);
        }
        if (last) {
            requestDone = true;
            if (!busy) next();
            else if (backendChannel != null && !responseStarted) headerTimeout.requestSent(responseTimeout);
        }
    }

    /** The body went past the limit without a Content-Length saying so (chunked): 413, and the connection ends. */
    private void bodyTooLarge() {
        discardBody = true;
        dropBackend();
        if (responseStarted) {
            keepAlive = false;
            finishExchange();
        } else {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "the request body exceeds " + config.maxBodyBytes() + " bytes", true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backendChannel != null) backendChannel.flush();
        updateReading();
    }

    /** The backend can take more of the request's body. */
    void backendWritabilityChanged() {
        updateReading();
    }

    /** A message from the backend for the current request. */
    void fromBackend(Object msg) {
        if (msg instanceof HttpObject o && o.decoderResult().isFailure() && !responseStarted) {
            // A head no client could read safely (a bad status line, an invalid or oversized header): 502.
            ReferenceCountUtil.release(msg);
            backendKeepAlive = false;
            dropBackend();
            log.warn("router: request {} to service '{}': the app's response is malformed ({}): answered 502", requestId, serviceName,
                    o.decoderResult().cause() == null ? "?" : o.decoderResult().cause().getMessage());
            fail(HttpResponseStatus.BAD_GATEWAY, "the app's response is malformed", !requestDone, AccessLog.Error.H17);
            return;
        }
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            // Broken within the body (a bad chunk): the answer cannot end well; cut it off.
            ReferenceCountUtil.release(msg);
            dropBackend();
            cutOff();
            return;
        }
        if (msg instanceof HttpResponse resp) {
            int code = resp.status().code();
            if (websocket && code == 101) {
                responseStarted = true;
                status = 101;
                account(null);
                upgrade(resp);
                return;
            }
            if (code >= 100 && code < 200 && code != 101) {
                // Informational (100 Continue, 103 Early Hints): passed on to an HTTP/1.1 client (never
                // to an HTTP/1.0 one, RFC 9110 15.2); the final answer follows.
                interim = true;
                if (clientHttp11) {
                    FullHttpResponse info = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, resp.status(), Unpooled.EMPTY_BUFFER);
                    info.headers().set(resp.headers());
                    HopByHop.strip(info.headers());
                    ctx.write(info, ctx.voidPromise());
                }
                ReferenceCountUtil.release(resp);
                return;
            }
            responseStarted = true;
            status = code;
            headerTimeout.responseStarted();
            backendKeepAlive = HttpUtil.isKeepAlive(resp);
            HopByHop.strip(resp.headers());
            HopByHop.via(resp.headers(), resp.protocolVersion());
            if (!clientHttp11 && HttpUtil.isTransferEncodingChunked(resp)) {
                // An HTTP/1.0 client knows no chunks: the body goes as it is, ended by the connection's end.
                HttpUtil.setTransferEncodingChunked(resp, false);
                keepAlive = false;
            }
            if (closeDelimited(resp)) {
                // Its body ends when the backend closes (an HTTP/1.0 server, busybox httpd): an
                // HTTP/1.1 client gets it chunked, so that it sees the end and keeps its connection;
                // any other client sees the end as the connection's.
                if (clientHttp11) {
                    HttpUtil.setTransferEncodingChunked(resp, true);
                } else {
                    keepAlive = false;
                }
            }
            // An intermediary sends its own version (RFC 9110 2.5), whatever the app's was; an
            // HTTP/1.0 client that asked to keep its connection is told so in words.
            resp.setProtocolVersion(HttpVersion.HTTP_1_1);
            HttpUtil.setKeepAlive(resp, keepAlive);
            if (keepAlive && !clientHttp11) resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        if (interim && msg instanceof HttpContent) {
            boolean end = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (end) interim = false;
            return;
        }
        if (msg instanceof HttpContent content) responseBytes += content.content().readableBytes();
        if (msg instanceof LastHttpContent) {
            ctx.writeAndFlush(msg, ctx.voidPromise());
            responseDone();
        } else {
            ctx.write(msg, ctx.voidPromise());
        }
    }

    /** A response whose body, if any, is delimited by the backend closing: no length and not chunked. */
    private boolean closeDelimited(HttpResponse resp) {
        int code = resp.status().code();
        boolean bodiless = headRequest || code == 204 || code == 304 || (code >= 100 && code < 200);
        return !bodiless && !HttpUtil.isContentLengthSet(resp) && !HttpUtil.isTransferEncodingChunked(resp);
    }

    void backendReadComplete() {
        ctx.flush();
        updateBackendReading();
    }

    void backendClosed() {
        if (backendChannel == null) return;
        backendChannel = null;
        backend.inFlight.decrementAndGet();
        if (!responseStarted) {
            keepAlive = false;
            fail(HttpResponseStatus.BAD_GATEWAY, "the backend closed the connection before answering", true, AccessLog.Error.H13);
        } else {
            cutOff();
        }
    }

    /**
     * An answer cut off midway: the client must not take what it got for the whole. A length or
     * chunks it never sees the end of tell it; a reset rather than a close tells a client whose
     * answer ends with the connection (HTTP/1.0) too.
     */
    private void cutOff() {
        account(AccessLog.Error.H18);
        if (http2) {
            ctx.close(); // a stream not ended: RST_STREAM, which no client takes for a whole answer
            return;
        }
        ctx.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void responseDone() {
        Channel ch = backendChannel;
        backendChannel = null;
        backend.inFlight.decrementAndGet();
        ((BackendHandler) ch.pipeline().get(BACKEND_HANDLER)).frontend = null;
        ch.config().setAutoRead(true); // pooled: it must see its close
        if (backendKeepAlive && requestDone) BackendPool.give(backend, ch);
        else ch.close();
        backend = null;
        account(null);
        finishExchange();
    }

    /**
     * Counts the current request, once, and writes its access line: a request that matched no
     * route is no app's, and is counted as such but has no line.
     */
    private void account(AccessLog.Error error) {
        if (accounted) return;
        accounted = true;
        long nanos = System.nanoTime() - startNanos;
        metrics.request(serviceName, status, nanos);
        if (accessLog == null || serviceName == null) return;
        Backend b = answeredBy;
        accessLog.add(dev.grid.core.App.appOf(serviceName), new AccessLog.Request(startMillis, method, path, host, requestId, clientIp(),
                b == null ? null : b.type, b == null ? null : b.job, error, status, responseBytes, b == null ? 0 : (connectedNanos - startNanos) / 1000,
                nanos / 1000, tls ? "https" : "http"));
    }

    private void finishExchange() {
        busy = false;
        if (!requestDone) discardBody = true; // answered before the body ended: drop the rest of it
        if (!keepAlive && http2) {
            ctx.close(); // this stream only; the answer before it is written (and the stream, if ended, is not reset)
            return;
        }
        if (!keepAlive) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (requestDone) next();
        else updateReading(); // the rest of the body is read and dropped: a read paused for the backend resumes
    }

    private void next() {
        headerTimeout.nextRequest();
        drain();
        updateReading();
    }

    /** The backend accepted a WebSocket upgrade: from now on both connections are relayed byte for byte. */
    private void upgrade(HttpResponse resp) {
        Channel frontend = ctx.channel();
        Channel back = backendChannel;
        backendChannel = null;
        backend.inFlight.decrementAndGet();
        backend = null;
        ((BackendHandler) back.pipeline().get(BACKEND_HANDLER)).frontend = null;
        ctx.writeAndFlush(resp); // encoded now, on this event loop, before the codecs go
        back.pipeline().replace(BACKEND_HANDLER, "relay", new Relay(frontend));
        back.pipeline().remove(BACKEND_CODEC);
        frontend.pipeline().remove(HttpServerCodec.class);
        frontend.pipeline().remove(ConnectionTimeouts.class);
        frontend.pipeline().replace(this, "relay", new Relay(back));
    }

    private void fail(HttpResponseStatus status, String message, boolean close) {
        fail(status, message, close, null);
    }

    /** The router's own answer to the current request; {@code error} is its code in the access line, if it has one. */
    private void fail(HttpResponseStatus status, String message, boolean close, AccessLog.Error error) {
        byte[] body = (status.code() + " " + status.reasonPhrase() + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
        respond(status, "text/plain; charset=utf-8", body, close, error, null, null);
    }

    /** The router's own whole answer to the current request, with one more header if {@code header} is not null. */
    private void respond(HttpResponseStatus status, String contentType, byte[] body, boolean close, AccessLog.Error error,
                         CharSequence header, String value) {
        if (close) keepAlive = false;
        releasePending();
        headerTimeout.responseStarted();
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (header != null) r.headers().set(header, value);
        if (requestId != null) r.headers().set(X_REQUEST_ID, requestId);
        HttpUtil.setKeepAlive(r, keepAlive);
        ctx.writeAndFlush(r);
        this.status = status.code();
        responseBytes = body.length;
        account(error);
        finishExchange();
    }

    private void releasePending() {
        if (request != null) ReferenceCountUtil.release(request);
        request = null;
        HttpContent c;
        while ((c = pendingBody.poll()) != null) c.release();
        pendingBodyBytes = 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (busy && !accounted) {
            status = 499; // the client left before its answer was whole
            account(AccessLog.Error.H27);
        }
        releasePending();
        Object m;
        while ((m = queued.poll()) != null) ReferenceCountUtil.release(m);
        if (backendChannel != null) {
            backend.inFlight.decrementAndGet();
            backendChannel.close(); // mid-exchange: the connection cannot be reused
            backendChannel = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** The backend side of one pooled connection: hands what it reads to whichever frontend is using it. */
    static final class BackendHandler extends ChannelInboundHandlerAdapter {
        HttpProxyHandler frontend;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (frontend != null && msg instanceof HttpObject) frontend.fromBackend(msg);
            else ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (frontend != null) frontend.backendReadComplete();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (frontend != null) frontend.backendClosed();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (frontend != null) frontend.backendWritabilityChanged();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Responses come from apps, which are untrusted: their heads are checked as strictly as
     * clients' (names, values without CR/LF/NUL, at most {@link RouterConfig#MAX_HEADER_BYTES});
     * one that fails is answered 502 ({@link #fromBackend}), never passed on.
     */
    static HttpClientCodec backendCodec() {
        var headers = io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory().withValidation(true);
        var trailers = io.netty.handler.codec.http.DefaultHttpHeadersFactory.trailersFactory().withValidation(true);
        return new HttpClientCodec(new io.netty.handler.codec.http.HttpDecoderConfig().setHeadersFactory(headers).setTrailersFactory(trailers)
                .setMaxInitialLineLength(RouterConfig.MAX_INITIAL_LINE).setMaxHeaderSize(RouterConfig.MAX_HEADER_BYTES), false, false);
    }
}
