package dev.grid.host;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A container's stdin, stdout and stderr through Docker's attach API, spoken by hand over the
 * engine's socket. docker-java's attach never half-closes the connection when its stdin ends, so a
 * container made with {@code StdinOnce} would never see the EOF of a piped {@code grid run}; here
 * {@link #closeStdin} does. Reads and writes go to the channel itself, from two threads (a stream
 * over a blocking channel would make them wait on each other).
 *
 * <p>Without a TTY Docker multiplexes the two output streams: each chunk comes after an 8-byte
 * head (stream 1 or 2, three zeros, a 4-byte length). With one there is one stream, as is.
 */
final class DockerAttach implements Closeable {
    /** Where a chunk of output goes: {@code stderr} says which stream. */
    interface Output {
        void write(boolean stderr, byte[] bytes, int length) throws IOException;
    }

    private final SocketChannel channel;
    private final boolean tty;
    private final ByteBuffer pending;

    private DockerAttach(SocketChannel channel, boolean tty, ByteBuffer pending) {
        this.channel = channel;
        this.tty = tty;
        this.pending = pending;
    }

    /** Attaches to a container that has not started yet (so that none of its output is missed). */
    static DockerAttach open(String dockerHost, String apiVersion, String containerId, boolean tty) throws IOException {
        SocketChannel channel = connect(dockerHost);
        try {
            String request = "POST /v" + apiVersion + "/containers/" + containerId + "/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                    + "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n";
            write(channel, ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(16 * 1024);
            int end;
            while ((end = headEnd(in)) < 0) {
                if (!in.hasRemaining()) throw new IOException("Docker's answer to attach has no end of its head in " + in.capacity() + " bytes");
                if (channel.read(in) < 0) throw new IOException("Docker closed the connection before it answered the attach");
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            String status = head.lines().findFirst().orElse("");
            if (!status.matches("HTTP/1\\.[01] (101|200) .*")) throw new IOException("Docker refused the attach: " + status);
            in.flip();
            in.position(end + 4);
            return new DockerAttach(channel, tty, in.slice());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static SocketChannel connect(String dockerHost) throws IOException {
        URI uri = URI.create(dockerHost);
        return switch (uri.getScheme()) {
            case "unix" -> SocketChannel.open(UnixDomainSocketAddress.of(uri.getPath()));
            case "tcp" -> SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
            default -> throw new IOException("cannot attach through Docker at " + dockerHost + ": only unix:// and tcp:// are spoken");
        };
    }

    /** Where the head's blank line begins, or -1 if it has not come yet. */
    private static int headEnd(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 0; i + 3 < in.position(); i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') return i;
        }
        return -1;
    }

    private static void write(SocketChannel channel, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) channel.write(b);
    }

    /** Bytes for the container's stdin. */
    void stdin(byte[] bytes) throws IOException {
        write(channel, ByteBuffer.wrap(bytes));
    }

    /** The container's stdin ends (with StdinOnce, Docker closes it in the container). */
    void closeStdin() throws IOException {
        channel.shutdownOutput();
    }

    /** Gives the container's output to {@code out} until it ends (the container exited, or this was closed). */
    void pump(Output out) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
        buffer.put(pending);
        Demux demux = tty ? null : new Demux();
        while (true) {
            buffer.flip();
            if (buffer.hasRemaining()) {
                if (demux == null) out.write(false, java.util.Arrays.copyOfRange(buffer.array(), buffer.position(), buffer.limit()), buffer.remaining());
                else demux.feed(buffer, out);
            }
            buffer.clear();
            if (channel.read(buffer) < 0) return;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Docker's multiplexed streams, taken apart: heads and chunks may be split anywhere across reads. */
    static final class Demux {
        private final ByteBuffer head = ByteBuffer.allocate(8);
        private int left;
        private boolean stderr;
        private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();

        void feed(ByteBuffer in, Output out) throws IOException {
            while (in.hasRemaining()) {
                if (left == 0) {
                    while (head.hasRemaining() && in.hasRemaining()) head.put(in.get());
                    if (head.hasRemaining()) return;
                    head.flip();
                    int stream = head.get();
                    head.position(4);
                    left = head.getInt();
                    head.clear();
                    if (stream != 1 && stream != 2) throw new IOException("Docker's stream has an unknown stream " + stream);
                    stderr = stream == 2;
                    continue;
                }
                int n = Math.min(left, in.remaining());
                chunk.write(in.array(), in.arrayOffset() + in.position(), n);
                in.position(in.position() + n);
                left -= n;
                // Given on as it comes, in pieces no longer than what one read brought.
                out.write(stderr, chunk.toByteArray(), chunk.size());
                chunk.reset();
            }
        }
    }
}
