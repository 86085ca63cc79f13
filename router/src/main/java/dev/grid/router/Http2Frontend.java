package dev.grid.router;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import java.time.Duration;

/**
 * The TLS port's protocols: after the handshake, a client that chose {@code h2} by ALPN gets
 * HTTP/2, any other HTTP/1.1. An HTTP/2 connection is Netty's frame codec and one child channel
 * per stream; each stream is mapped onto HTTP/1.1 objects and served by its own
 * {@link HttpProxyHandler}, exactly as one HTTP/1.1 exchange is, with its own timeouts and
 * body limit, and its own backpressure: the child channel's writability follows the client's
 * window for that stream, and a stream the proxy stops reading stops getting window updates.
 *
 * <p>Limits (RFC 9113 6.5.2, and what nginx does): at most {@link #MAX_CONCURRENT_STREAMS}
 * streams at once; a header list of at most {@link RouterConfig#MAX_HEADER_BYTES} (more is
 * answered 431); each stream's receive window is {@link #STREAM_WINDOW}, and the connection's
 * is that times the stream limit, so that one stalled upload never holds up the others (what
 * the router may hold for a connection is bounded by the stream windows either way). Rapid
 * reset (CVE-2023-44487) is bounded: more than {@link #MAX_RESETS} streams reset by the client
 * in {@link #RESET_WINDOW_SECONDS} s ends the connection with ENHANCE_YOUR_CALM. A connection with no
 * stream open for the idle timeout is closed with GOAWAY.
 */
final class Http2Frontend {
    static final int MAX_CONCURRENT_STREAMS = 100;
    static final int STREAM_WINDOW = 64 << 10;
    static final int CONNECTION_WINDOW = MAX_CONCURRENT_STREAMS * STREAM_WINDOW;
    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    /** The HTTP/2 default (RFC 9113 6.9.2): the connection's window before the router widens it. */
    private static final int DEFAULT_WINDOW = 65_535;

    private Http2Frontend() {}

    /** The settings the router sends first on every HTTP/2 connection. */
    static Http2Settings settings() {
        return Http2Settings.defaultSettings()
                .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                .initialWindowSize(STREAM_WINDOW)
                .maxHeaderListSize(RouterConfig.MAX_HEADER_BYTES); // no ENABLE_PUSH: a server may not send it (RFC 9113 6.5.2), and never pushes
    }

    /**
     * Chooses the protocol once the TLS handshake is done: {@code http1} completes an HTTP/1.1
     * pipeline (the codec and its proxy, after the connection's timeouts), {@code stream} makes
     * the handler of one HTTP/2 stream.
     */
    static ApplicationProtocolNegotiationHandler negotiation(java.util.function.Consumer<ChannelPipeline> http1,
                                                             java.util.function.Supplier<io.netty.channel.ChannelHandler[]> stream, Duration idle) {
        return new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
            @Override
            protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                ChannelPipeline p = ctx.pipeline();
                if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                    http1.accept(p);
                    return;
                }
                // The byte-level clocks are HTTP/1's; an HTTP/2 connection has its streams' and its own idle one.
                p.remove(ConnectionTimeouts.class);
                Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                        .initialSettings(settings())
                        .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                        .validateHeaders(true)
                        .build();
                // Streams answer one by one as their apps do: their flushes in one turn of the event
                // loop become one TLS write (one record, one syscall), as nginx writes its streams.
                p.addLast(new io.netty.handler.flush.FlushConsolidationHandler(
                        io.netty.handler.flush.FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                p.addLast(new Idle(codec, idle));
                p.addLast(codec);
                p.addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true, true));
                        ch.pipeline().addLast(stream.get());
                    }
                }));
                // Widen the connection's receive window past the default, to every stream's window at once.
                ctx.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - DEFAULT_WINDOW));
            }
        };
    }

    /** Closes (with GOAWAY) a connection that has had no stream open for the idle timeout. */
    static final class Idle extends Clocked {
        private final Http2FrameCodec codec;
        private final long idleNanos;
        private long idleSince = System.nanoTime();

        Idle(Http2FrameCodec codec, Duration idle) {
            super(Math.max(50, idle.toMillis() / 4));
            this.codec = codec;
            this.idleNanos = idle.toNanos();
        }

        @Override
        void check(ChannelHandlerContext ctx) {
            long now = System.nanoTime();
            if (codec.connection().numActiveStreams() > 0) {
                idleSince = now;
            } else if (now - idleSince > idleNanos) {
                stopChecking();
                ctx.channel().close(); // through the codec: GOAWAY first
            }
        }
    }
}
