package dev.grid.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLSocket;

/**
 * A raw HTTP/2 client over TLS (ALPN h2), frame by frame (RFC 9113 §4), for what no real client
 * does on purpose: never sending WINDOW_UPDATE (a slow reader), resetting streams as fast as it
 * opens them (rapid reset), opening more streams than the server allows. Header blocks are
 * HPACK-coded by Netty's coder; everything else is written here.
 */
final class H2 implements Closeable {
    static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8;
    static final int END_STREAM = 1, END_HEADERS = 4, ACK = 1;
    static final int REFUSED_STREAM = 7, CANCEL = 8, ENHANCE_YOUR_CALM = 11;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    record Frame(int type, int flags, int stream, byte[] payload) {
        int errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xff) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8) | (payload[at + 3] & 0xff);
        }

        boolean endStream() {
            return (flags & END_STREAM) != 0;
        }
    }

    private final SSLSocket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(true);
    /** The server's SETTINGS, by identifier. */
    final Map<Integer, Long> serverSettings = new java.util.concurrent.ConcurrentHashMap<>();

    private H2(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        this.out = new java.io.BufferedOutputStream(socket.getOutputStream());
    }

    /** Connects to the router's TLS port, agrees on h2, and sends the preface and empty SETTINGS (a 65,535-byte window). */
    static H2 connect(int port, String sni) throws Exception {
        javax.net.ssl.SSLContext ctx = AbstractRouterTest.trustingAnything();
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        var params = s.getSSLParameters();
        params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(sni)));
        params.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(params);
        s.setSoTimeout(10_000);
        s.setReceiveBufferSize(64 << 10);
        s.startHandshake();
        if (!"h2".equals(s.getApplicationProtocol())) throw new IOException("the server did not agree on h2: " + s.getApplicationProtocol());
        H2 c = new H2(s);
        c.out.write(PREFACE);
        c.frame(SETTINGS, 0, 0, new byte[0]);
        c.out.flush();
        return c;
    }

    synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(new byte[] {(byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length, (byte) type, (byte) flags,
                (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8), (byte) stream});
        out.write(payload);
    }

    /** A request's HEADERS (one frame, END_HEADERS), not flushed. */
    void request(int stream, String method, String authority, String path, boolean endStream, String... nameValues) throws IOException {
        Http2Headers h = new DefaultHttp2Headers(false).method(method).scheme("https").authority(authority).path(path);
        for (int i = 0; i < nameValues.length; i += 2) h.add(nameValues[i], nameValues[i + 1]);
        ByteBuf block = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, h, block);
            byte[] bytes = new byte[block.readableBytes()];
            block.readBytes(bytes);
            frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, bytes);
        } catch (io.netty.handler.codec.http2.Http2Exception e) {
            throw new IOException(e);
        } finally {
            block.release();
        }
    }

    void reset(int stream, int code) throws IOException {
        frame(RST_STREAM, 0, stream, int32(code));
    }

    void windowUpdate(int stream, int delta) throws IOException {
        frame(WINDOW_UPDATE, 0, stream, int32(delta));
    }

    synchronized void flush() throws IOException {
        out.flush();
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v};
    }

    /** The next frame; a SETTINGS from the server is recorded and acknowledged, a PING answered. Null when the connection ends. */
    Frame read() throws IOException {
        int length;
        try {
            length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        } catch (java.io.EOFException | java.net.SocketException end) {
            return null;
        }
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = in.readNBytes(length);
        if (type == SETTINGS && (flags & ACK) == 0) {
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                long value = ((payload[i + 2] & 0xffL) << 24) | ((payload[i + 3] & 0xff) << 16) | ((payload[i + 4] & 0xff) << 8) | (payload[i + 5] & 0xff);
                serverSettings.put(id, value);
            }
            frame(SETTINGS, ACK, 0, new byte[0]);
            flush();
        } else if (type == PING && (flags & ACK) == 0) {
            frame(PING, ACK, 0, payload);
            flush();
        }
        return new Frame(type, flags, stream, payload);
    }

    /** The status of a response HEADERS frame. */
    int status(Frame headers) throws IOException {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return Integer.parseInt(decoder.decodeHeaders(headers.stream(), block).status().toString());
        } catch (io.netty.handler.codec.http2.Http2Exception e) {
            throw new IOException(e);
        }
    }

    // Sending bodies: the windows the server grants (RFC 9113 6.9), tracked by a reader thread.
    private final Object windows = new Object();
    /** Where the last {@link #send} that gave up stood. */
    volatile String stalled;
    private long connectionWindow = 65_535;
    private final Map<Integer, Long> streamWindows = new HashMap<>();
    private final java.util.concurrent.BlockingQueue<Frame> frames = new java.util.concurrent.LinkedBlockingQueue<>();

    /** From now on a thread reads: it tracks the windows for {@link #send}, and {@link #next} gives the other frames. */
    void startReader() {
        Thread t = new Thread(() -> {
            try {
                for (Frame f; (f = read()) != null; ) {
                    synchronized (windows) {
                        if (f.type() == WINDOW_UPDATE) {
                            int delta = f.errorCode() & 0x7fffffff;
                            if (f.stream() == 0) connectionWindow += delta;
                            else streamWindows.merge(f.stream(), (long) delta, Long::sum);
                            windows.notifyAll();
                            continue;
                        }
                    }
                    frames.add(f);
                }
            } catch (IOException ended) {
                // the connection ended
            }
            frames.add(new Frame(-1, 0, 0, new byte[0]));
        }, "h2-reader");
        t.setDaemon(true);
        t.start();
    }

    /** The next frame that is not a WINDOW_UPDATE, within {@code timeout}; null if none came, type -1 once the connection ended. */
    Frame next(java.time.Duration timeout) throws InterruptedException {
        return frames.poll(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Sends {@code size} body bytes on {@code stream} as the windows allow; false if the windows
     * stayed shut for {@code patience} (the server is not reading this stream, or the connection).
     */
    boolean send(int stream, long size, boolean endStream, java.time.Duration patience) throws IOException, InterruptedException {
        byte[] piece = new byte[16_384];
        long left = size;
        while (left > 0) {
            int n;
            synchronized (windows) {
                long deadline = System.nanoTime() + patience.toNanos();
                long streamWindow;
                while ((streamWindow = streamWindows.getOrDefault(stream, 0L) + serverSettings.getOrDefault(4, 65_535L)) <= 0 || connectionWindow <= 0) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        stalled = "stream " + stream + " window " + streamWindow + ", connection window " + connectionWindow + ", " + (size - left) + " B sent";
                        return false;
                    }
                    windows.wait(Math.max(1, wait / 1_000_000));
                }
                n = (int) Math.min(Math.min(piece.length, left), Math.min(streamWindow, connectionWindow));
                connectionWindow -= n;
                streamWindows.merge(stream, (long) -n, Long::sum);
            }
            left -= n;
            frame(DATA, left == 0 && endStream ? END_STREAM : 0, stream, n == piece.length ? piece : java.util.Arrays.copyOf(piece, n));
            flush();
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
