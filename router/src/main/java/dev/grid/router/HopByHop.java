package dev.grid.router;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Set;

/**
 * The fields that belong to one connection, not to the message (RFC 9110 7.6.1), which a proxy
 * must not pass on, and the {@code Via} it adds (7.6.3). Framing (Content-Length,
 * Transfer-Encoding) is the codecs' business on each side, and no {@code Connection} option may
 * take it, the Host or what the router itself sets. It runs twice per request: the names are
 * {@link AsciiString}s, whose hashes Netty's headers keep.
 */
final class HopByHop {
    /** The router's name in Via. */
    static final String PSEUDONYM = "grid";
    private static final AsciiString VIA_11 = AsciiString.cached("1.1 " + PSEUDONYM);
    private static final AsciiString VIA_10 = AsciiString.cached("1.0 " + PSEUDONYM);
    private static final AsciiString VIA_2 = AsciiString.cached("2 " + PSEUDONYM);
    private static final List<AsciiString> FIXED = List.of(HttpHeaderNames.KEEP_ALIVE, AsciiString.cached("proxy-connection"),
            HttpHeaderNames.TE, HttpHeaderNames.UPGRADE);
    private static final Set<String> KEPT = Set.of("content-length", "transfer-encoding", "host", "close", "keep-alive",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-request-id", "x-request-start", "via");

    private HopByHop() {}

    /** Removes the hop-by-hop fields: those {@code Connection} names, and the ones that always are. */
    static void strip(HttpHeaders h) {
        if (h.isEmpty()) return;
        List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
        if (!connection.isEmpty()) {
            for (String value : connection) {
                for (String option : value.split(",")) {
                    String name = option.strip().toLowerCase(java.util.Locale.ROOT);
                    if (!name.isEmpty() && !KEPT.contains(name)) h.remove(name);
                }
            }
            h.remove(HttpHeaderNames.CONNECTION);
        }
        for (AsciiString name : FIXED) h.remove(name);
    }

    /** Adds this hop to Via: the protocol the message came in by, and the router's name. */
    static void via(HttpHeaders h, HttpVersion received) {
        via(h, received.minorVersion() == 0 && received.majorVersion() == 1 ? VIA_10 : VIA_11);
    }

    /** Adds this hop to Via for a request that came in by HTTP/2. */
    static void viaHttp2(HttpHeaders h) {
        via(h, VIA_2);
    }

    private static void via(HttpHeaders h, AsciiString hop) {
        String before = h.get(HttpHeaderNames.VIA);
        if (before == null) h.add(HttpHeaderNames.VIA, hop);
        else h.set(HttpHeaderNames.VIA, before + ", " + hop);
    }
}
