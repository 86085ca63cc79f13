package dev.grid.router;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client connection's two clocks, checked by one periodic task (no timer per
 * request): the time from a request's first byte to its complete head — a
 * client that trickles headers (slowloris) gets 408 and is closed — and the
 * time a keep-alive connection may sit idle between requests. Sits before the
 * HTTP codec, so its 408 is written as raw bytes.
 */
final class ConnectionTimeouts extends ChannelDuplexHandler {
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + "Content-Length: 49\r\n\r\n408 Request Timeout: the request head was too slow\n").getBytes(StandardCharsets.US_ASCII);
    private final long headerNanos;
    private final long idleNanos;
    private final long checkMillis;
    /** Between a response's end and the next request's head. */
    private boolean awaitingHead = true;
    /** When the awaited head's first byte came; 0 if none has. */
    private long headStarted;
    private long lastActivity = System.nanoTime();
    private ScheduledFuture<?> check;

    ConnectionTimeouts(Duration header, Duration idle) {
        this.headerNanos = header.toNanos();
        this.idleNanos = idle.toNanos();
        this.checkMillis = Math.max(50, Math.min(header.toMillis(), idle.toMillis()) / 4);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        check = ctx.executor().scheduleAtFixedRate(() -> check(ctx), checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        long now = System.nanoTime();
        if (!awaitingHead) return; // a request is being served: the backend decides how long that takes
        if (headStarted != 0 && now - headStarted > headerNanos) {
            check.cancel(false);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        } else if (headStarted == 0 && now - lastActivity > idleNanos) {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && headStarted == 0) headStarted = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    /** The request head is complete. */
    void headReceived() {
        awaitingHead = false;
        headStarted = 0;
    }

    /** The response is done; the next request's head is awaited. */
    void nextRequest() {
        awaitingHead = true;
        headStarted = 0;
        lastActivity = System.nanoTime();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (check != null) check.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (check != null) check.cancel(false);
        ctx.fireChannelInactive();
    }
}
