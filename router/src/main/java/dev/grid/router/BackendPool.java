package dev.grid.router;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle keep-alive connections to backends, one pool per event loop: a frontend
 * only takes connections that live on its own loop, so nothing is shared between
 * threads and nothing is locked. A backend's connections are reused oldest first, and
 * not after {@link #MAX_IDLE_NANOS} idle ({@link IdleQueue} says why).
 */
final class BackendPool {
    static final int MAX_IDLE_PER_BACKEND = 256;
    /** How long a connection may sit idle and still be reused: below gunicorn's 2 s keep-alive, the shortest common default. */
    static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf("grid.pool.watched");
    private static final FastThreadLocal<Map<Backend, IdleQueue<Channel>>> POOLS = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, IdleQueue<Channel>> initialValue() {
            return new HashMap<>();
        }
    };

    private BackendPool() {}

    static Channel take(Backend backend) {
        IdleQueue<Channel> idle = POOLS.get().get(backend);
        if (idle == null || idle.size() == 0) return null;
        return idle.take(System.nanoTime(), MAX_IDLE_NANOS, Channel::isActive, Channel::close);
    }

    static void give(Backend backend, Channel ch) {
        if (backend.removed || !ch.isActive()) {
            ch.close();
            if (backend.removed) POOLS.get().remove(backend);
            return;
        }
        IdleQueue<Channel> idle = POOLS.get().computeIfAbsent(backend, b -> new IdleQueue<>());
        if (idle.size() >= MAX_IDLE_PER_BACKEND) {
            ch.close();
            return;
        }
        idle.add(ch, System.nanoTime());
        if (ch.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            ch.closeFuture().addListener(f -> {
                IdleQueue<Channel> d = POOLS.get().get(backend);
                if (d != null) d.remove(ch);
            });
        }
    }
}
