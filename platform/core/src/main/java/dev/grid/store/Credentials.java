package dev.grid.store;

import dev.grid.core.SecretFile;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Bearer tokens Grid's parts present to each other's HTTP endpoints (the blob store, the hosts'
 * log servers). Each part issues its own at start: a random token whose SHA-256 is registered
 * under {@code credentials/PRINCIPAL} with the part's lease, so it lapses with the part. Only
 * Grid's parts can write there (etcd's root role), and nothing ever serves the tokens.
 */
public final class Credentials {
    private Credentials() {}

    /** A fresh token for {@code principal}, registered until {@code leaseId} ends. */
    public static String issue(Store store, String principal, long leaseId) {
        String token = SecretFile.randomHex(32);
        store.put(Keys.CREDENTIALS + principal, sha256(token), leaseId);
        return token;
    }

    /** The Authorization header that carries {@code token}. */
    public static String header(String token) {
        return "Bearer " + token;
    }

    /** A token's SHA-256, in hex: what is kept of it. */
    public static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A part's own token under a lease of its own, issued again if etcd let that lease lapse. */
    public static final class Own implements AutoCloseable {
        private final Store store;
        private final String principal;
        private Lease lease;
        private String token;

        public Own(Store store, String principal) {
            this.store = store;
            this.principal = principal;
        }

        public synchronized String token() {
            if (lease == null || !lease.isAlive()) {
                if (lease != null) lease.close();
                lease = store.lease(10);
                token = issue(store, principal, lease.id());
            }
            return token;
        }

        @Override
        public synchronized void close() {
            if (lease != null) {
                try {
                    lease.revoke();
                } catch (StoreException e) {
                    lease.close(); // etcd is gone: the lease lapses by itself
                }
            }
        }
    }

    /** Accepts the tokens of live parts: a watch keeps the registered hashes here. */
    public static final class Verifier implements AutoCloseable {
        private final Store store;
        private final Set<String> hashes = ConcurrentHashMap.newKeySet();
        private final Subscription watch;

        public Verifier(Store store) {
            this.store = store;
            long rev = reload();
            this.watch = store.watch(Keys.CREDENTIALS, rev + 1, changes -> reload(), this::reload);
        }

        private synchronized long reload() {
            Snapshot s = store.list(Keys.CREDENTIALS);
            Set<String> now = ConcurrentHashMap.newKeySet();
            s.entries().forEach(e -> now.add(e.value()));
            hashes.retainAll(now);
            hashes.addAll(now);
            notifyAll();
            return s.revision();
        }

        /**
         * Answers 401 (with {@code WWW-Authenticate: Bearer}) and returns true when the request does
         * not carry a live part's token: what every part's own HTTP server does first.
         */
        public boolean refuses(com.sun.net.httpserver.HttpExchange exchange) throws java.io.IOException {
            if (accepts(exchange.getRequestHeaders().getFirst("Authorization"))) return false;
            byte[] body = "a Grid part's credential is required\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(401, body.length);
            exchange.getResponseBody().write(body);
            return true;
        }

        /**
         * Whether the Authorization header carries the token of a live Grid part. A token this has
         * not seen yet (a part that just started, ahead of the watch) is looked up in etcd, at most
         * once a second, so that made-up tokens cannot make every request a read of etcd; when that
         * budget is spent, the caller waits for the watch instead, briefly and a few at a time, so
         * that made-up tokens can neither refuse a part that just started nor hold every thread.
         */
        public boolean accepts(String authorization) {
            if (authorization == null || !authorization.startsWith("Bearer ")) return false;
            String hash = sha256(authorization.substring("Bearer ".length()).trim());
            if (hashes.contains(hash)) return true;
            if (lookupDue()) {
                reload();
                if (hashes.contains(hash)) return true;
            }
            if (!waiters.tryAcquire()) return false;
            try {
                long deadline = System.nanoTime() + WATCH_WAIT_NANOS;
                synchronized (this) {
                    while (!hashes.contains(hash)) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) return false;
                        wait(Math.max(1, left / 1_000_000));
                    }
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                waiters.release();
            }
        }

        private synchronized boolean lookupDue() {
            long now = System.nanoTime();
            if (now - lastLookup < 1_000_000_000L) return false;
            lastLookup = now;
            return true;
        }

        private static final long WATCH_WAIT_NANOS = 500_000_000L;
        private final Semaphore waiters = new Semaphore(2);
        private long lastLookup = System.nanoTime() - 2_000_000_000L;

        @Override
        public void close() {
            watch.close();
        }
    }
}
