package dev.grid.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Copies bytes from its channel to another, flushing once per read batch. When
 * the other side stops being writable this side stops reading until it drains,
 * so a slow peer slows the fast one and memory stays bounded. Used for TCP
 * routes and for WebSocket connections after the upgrade.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private final Channel to;
    /** Counts the bytes this side reads, or null. */
    private final io.micrometer.core.instrument.Counter bytes;

    Relay(Channel to) {
        this(to, null);
    }

    Relay(Channel to, io.micrometer.core.instrument.Counter bytes) {
        this.to = to;
        this.bytes = bytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) { // e.g. the empty end of a 101 response still in the codec
            ReferenceCountUtil.release(msg);
            return;
        }
        if (bytes != null) bytes.increment(((ByteBuf) msg).readableBytes());
        to.write(msg, to.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        to.flush();
        if (!to.isWritable()) ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // This side drained: let the other side read again.
        if (ctx.channel().isWritable()) to.config().setAutoRead(true);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(to);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeOnFlush(ctx.channel());
    }

    static void closeOnFlush(Channel ch) {
        if (ch.isActive()) ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}
