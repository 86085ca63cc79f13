package dev.grid.router;

import java.util.Locale;

/**
 * Who carries a TCP route's bytes ({@code GRID_TCP_DATAPATH}): {@code kernel}, NAT rules in the
 * host's nftables table, the bytes never reaching user space; {@code proxy}, the router's Netty
 * relay; {@code auto}, the kernel where nftables and conntrack work here and the relay otherwise.
 */
public enum TcpDatapath {
    AUTO, KERNEL, PROXY;

    /** The setting's value; an unknown one is an error that says what to use. */
    public static TcpDatapath of(String setting) {
        try {
            return valueOf(setting.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid GRID_TCP_DATAPATH '" + setting + "': use auto, kernel or proxy");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
