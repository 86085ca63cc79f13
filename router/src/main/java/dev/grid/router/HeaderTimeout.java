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
 * Bounds the time from a request's first byte to its complete head: a client
 * that trickles headers (slowloris) gets 408 and is closed, whatever it sends.
 * Sits before the HTTP codec, so its answer is written as raw bytes.
 */
final class HeaderTimeout extends ChannelDuplexHandler {
    private static final byte[] TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + "Content-Length: 49\r\n\r\n408 Request Timeout: the request head was too slow\n").getBytes(StandardCharsets.US_ASCII);
    private final long timeoutMillis;
    private boolean awaitingHead = true;
    private ScheduledFuture<?> timer;

    HeaderTimeout(Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && timer == null) {
            timer = ctx.executor().schedule(() -> {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
            }, timeoutMillis, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** The request head is complete. */
    void headReceived() {
        awaitingHead = false;
        if (timer != null) timer.cancel(false);
        timer = null;
    }

    /** The response is done; the next request's head is awaited. */
    void nextRequest() {
        awaitingHead = true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) timer.cancel(false);
        ctx.fireChannelInactive();
    }
}
