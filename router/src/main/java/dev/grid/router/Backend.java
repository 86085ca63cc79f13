package dev.grid.router;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance of a service as the router sees it. The object lives as long as
 * the instance does, across route-table rebuilds, so its in-flight count is
 * meaningful; {@code removed} is set when discovery drops it (drain).
 */
public final class Backend {
    final String id;
    final InetSocketAddress address;
    /** The process type and job it is, as access lines name them ({@code dyno=TYPE.JOB}); the job is null for an instance of no job's. */
    final String type;
    final String job;
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean removed;

    Backend(String id, InetSocketAddress address, String type, String job) {
        this.id = id;
        this.address = address;
        this.type = type;
        this.job = job;
    }

    @Override
    public String toString() {
        return id + "@" + address.getHostString() + ":" + address.getPort();
    }
}
