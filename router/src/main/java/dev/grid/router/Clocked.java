package dev.grid.router;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A handler with one periodic check on its channel's event loop (no timer per request), from
 * when it joins the pipeline until it leaves it or the channel ends.
 */
abstract class Clocked extends ChannelDuplexHandler {
    private final long everyMillis;
    private ScheduledFuture<?> check;

    Clocked(long everyMillis) {
        this.everyMillis = everyMillis;
    }

    /** Runs every {@code everyMillis} on the event loop. */
    abstract void check(ChannelHandlerContext ctx);

    /** No more checks (the check has acted). */
    final void stopChecking() {
        if (check != null) check.cancel(false);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        check = ctx.executor().scheduleAtFixedRate(() -> check(ctx), everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stopChecking();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopChecking();
        ctx.fireChannelInactive();
    }
}
