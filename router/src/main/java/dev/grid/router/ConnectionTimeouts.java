package dev.grid.router;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client connection's clocks, checked by one periodic task (no timer per request): the
 * time from a request's first byte to its complete head — a client that trickles headers
 * (slowloris) gets 408 and is closed —, the time a keep-alive connection may sit idle
 * between requests, the time the app takes to start its answer once it has the whole
 * request (past it, {@link #RESPONSE_TIMEOUT} goes down the pipeline, for the proxy to
 * answer 503), and the time a body may stall: while a request is served, a connection on
 * which no byte moves either way for that long is closed. Sits before the HTTP codec, so
 * its 408 is written as raw bytes and every byte it sees is one on the wire.
 */
final class ConnectionTimeouts extends Clocked {
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + "Content-Length: 49\r\n\r\n408 Request Timeout: the request head was too slow\n").getBytes(StandardCharsets.US_ASCII);
    /** The event for a response head that did not come in time. */
    static final Object RESPONSE_TIMEOUT = new Object() {
        @Override
        public String toString() {
            return "response timeout";
        }
    };
    private final long headerNanos;
    private final long idleNanos;
    private final long responseNanos;
    private final long bodyNanos;
    /** Between a response's end and the next request's head. */
    private boolean awaitingHead = true;
    /** When the awaited head's first byte came; 0 if none has. */
    private long headStarted;
    private long lastActivity = System.nanoTime();
    /** When the whole request was with the app and its answer had not begun; 0 otherwise. */
    private long awaitingResponseSince;
    /** How long that answer may take: the route's, or the router's. */
    private long awaitingResponseNanos;
    /** On an HTTP/2 stream, whose head arrives whole: a timeout ends the stream, with no 408 in bytes. */
    private final boolean stream;

    ConnectionTimeouts(Duration header, Duration idle, Duration response, Duration body) {
        this(header, idle, response, body, false);
    }

    /** The clocks of one HTTP/2 stream (it sits after the HTTP/2-to-HTTP/1 codec, not before a byte codec). */
    static ConnectionTimeouts forStream(Duration header, Duration idle, Duration response, Duration body) {
        return new ConnectionTimeouts(header, idle, response, body, true);
    }

    private ConnectionTimeouts(Duration header, Duration idle, Duration response, Duration body, boolean stream) {
        super(Math.max(50, Math.min(Math.min(header.toMillis(), idle.toMillis()), Math.min(response.toMillis(), body.toMillis())) / 4));
        this.stream = stream;
        this.headerNanos = header.toNanos();
        this.idleNanos = idle.toNanos();
        this.responseNanos = response.toNanos();
        this.bodyNanos = body.toNanos();
    }

    @Override
    void check(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        if (!awaitingHead) {
            if (awaitingResponseSince != 0) {
                if (now - awaitingResponseSince > awaitingResponseNanos) {
                    awaitingResponseSince = 0;
                    ctx.fireUserEventTriggered(RESPONSE_TIMEOUT);
                }
            } else if (now - lastActivity > bodyNanos) {
                stopChecking();
                ctx.close(); // a body stalled: mid-exchange, no answer can be framed any more
            }
            return;
        }
        if (headStarted != 0 && now - headStarted > headerNanos) {
            stopChecking();
            if (stream) ctx.close();
            else ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        } else if (headStarted == 0 && now - lastActivity > idleNanos) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long now = System.nanoTime();
        if (awaitingHead && headStarted == 0) headStarted = now;
        lastActivity = now;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
        lastActivity = System.nanoTime();
        ctx.write(msg, promise);
    }

    /** The whole request is with the app: its answer's clock starts, for {@code timeout} (null: the router's). */
    void requestSent(Duration timeout) {
        awaitingResponseNanos = timeout == null ? responseNanos : timeout.toNanos();
        awaitingResponseSince = System.nanoTime();
    }

    /** The app's answer began (or the router answered itself). */
    void responseStarted() {
        awaitingResponseSince = 0;
        lastActivity = System.nanoTime();
    }

    /** The request head is complete. */
    void headReceived() {
        awaitingHead = false;
        headStarted = 0;
    }

    /** The response is done; the next request's head is awaited. */
    void nextRequest() {
        awaitingHead = true;
        awaitingResponseSince = 0;
        headStarted = 0;
        lastActivity = System.nanoTime();
    }

}
