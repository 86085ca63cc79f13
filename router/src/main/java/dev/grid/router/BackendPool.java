package dev.grid.router;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Idle keep-alive connections to backends, one pool per event loop: a frontend
 * only takes connections that live on its own loop, so nothing is shared between
 * threads and nothing is locked.
 */
final class BackendPool {
    static final int MAX_IDLE_PER_BACKEND = 256;
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf("grid.pool.watched");
    private static final FastThreadLocal<Map<Backend, ArrayDeque<Channel>>> POOLS = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };

    private BackendPool() {}

    static Channel take(Backend backend) {
        ArrayDeque<Channel> idle = POOLS.get().get(backend);
        if (idle == null) return null;
        Channel ch;
        while ((ch = idle.pollLast()) != null) {
            if (ch.isActive()) return ch;
        }
        return null;
    }

    static void give(Backend backend, Channel ch) {
        if (backend.removed || !ch.isActive()) {
            ch.close();
            if (backend.removed) POOLS.get().remove(backend);
            return;
        }
        ArrayDeque<Channel> idle = POOLS.get().computeIfAbsent(backend, b -> new ArrayDeque<>());
        if (idle.size() >= MAX_IDLE_PER_BACKEND) {
            ch.close();
            return;
        }
        idle.addLast(ch);
        if (ch.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            ch.closeFuture().addListener(f -> {
                ArrayDeque<Channel> d = POOLS.get().get(backend);
                if (d != null) d.remove(ch);
            });
        }
    }
}
