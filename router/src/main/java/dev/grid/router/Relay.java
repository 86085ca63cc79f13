package dev.grid.router;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Copies bytes from its channel to another, reading more only when the last write
 * is done (so a slow side slows the other, and memory stays bounded). Used for
 * TCP routes and for WebSocket connections after the upgrade.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private final Channel to;

    Relay(Channel to) {
        this.to = to;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
        if (ctx.channel().isActive()) ctx.channel().read();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.channel().read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof io.netty.buffer.ByteBuf)) { // e.g. the empty end of a 101 response still in the codec
            io.netty.util.ReferenceCountUtil.release(msg);
            ctx.channel().read();
            return;
        }
        to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) ctx.channel().read();
            else f.channel().close();
        });
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
