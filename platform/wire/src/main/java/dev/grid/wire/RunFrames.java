package dev.grid.wire;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What an attached {@code grid run} says, in both of its hops: the CLI and the controller (one
 * frame per WebSocket message), the controller and the host that runs the job (frames one after
 * another on a TCP connection). A frame is a type byte, a 4-byte big-endian length and that many
 * bytes. Both ends treat the other's frames as untrusted: an unknown type, or a frame longer than
 * {@link #MAX_PAYLOAD}, ends the session.
 */
public final class RunFrames {
    /** The most a frame carries (a WebSocket message of Netty's default 64 KiB limit holds one): keystrokes and a pipe's chunks fit. */
    public static final int MAX_PAYLOAD = 32 * 1024;
    static final int HEAD = 5;

    public enum Type {
        /** To the host, first: the job and the caller's credential ({@code JOB\nAuthorization}). */
        ATTACH,
        /** To the controller, first: what to run, as JSON ({@code command}, {@code tty}, {@code rows}, {@code cols}). */
        START,
        /** Bytes for the command's stdin. */
        IN,
        /** The command's stdin ends. */
        EOF,
        /** The terminal's new size: rows and columns, two bytes each. */
        RESIZE,
        /** Bytes the command wrote on stdout (with a TTY: everything it wrote). */
        OUT,
        /** Bytes the command wrote on stderr (never with a TTY: a terminal has one stream). */
        ERR,
        /** What the session waits for, for the caller to show ("starting on host h1"). */
        STATUS,
        /** The command ended with this exit code (4 bytes); the last frame. */
        EXIT,
        /** The session cannot go on, and why (UTF-8); the last frame. */
        FAIL
    }

    public record Frame(Type type, byte[] payload) {
        public Frame {
            if (payload.length > MAX_PAYLOAD) throw new IllegalArgumentException(type + " frame of " + payload.length + " bytes: at most " + MAX_PAYLOAD);
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int exitCode() {
            if (type != Type.EXIT || payload.length != 4) throw new IllegalStateException("not an exit frame: " + type);
            return ByteBuffer.wrap(payload).getInt();
        }

        /** A RESIZE frame's rows and columns. */
        public int[] size() {
            if (type != Type.RESIZE || payload.length != 4) throw new IllegalStateException("not a resize frame: " + type);
            ByteBuffer b = ByteBuffer.wrap(payload);
            return new int[] {Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort())};
        }
    }

    private RunFrames() {}

    public static Frame text(Type type, String text) {
        return new Frame(type, text.getBytes(StandardCharsets.UTF_8));
    }

    public static Frame exit(int code) {
        return new Frame(Type.EXIT, ByteBuffer.allocate(4).putInt(code).array());
    }

    public static Frame resize(int rows, int cols) {
        if (rows <= 0 || cols <= 0 || rows > 0xFFFF || cols > 0xFFFF) throw new IllegalArgumentException("invalid terminal size " + rows + "x" + cols);
        return new Frame(Type.RESIZE, ByteBuffer.allocate(4).putShort((short) rows).putShort((short) cols).array());
    }

    public static Frame data(Type type, byte[] buffer, int length) {
        return new Frame(type, java.util.Arrays.copyOf(buffer, length));
    }

    /** The frame's bytes: one WebSocket message, or what goes on a connection. */
    public static byte[] encode(Frame f) {
        return ByteBuffer.allocate(HEAD + f.payload().length).put((byte) f.type().ordinal()).putInt(f.payload().length).put(f.payload()).array();
    }

    /** One whole frame (a WebSocket message); anything else in it is refused. */
    public static Frame decode(ByteBuffer message) throws IOException {
        if (message.remaining() < HEAD) throw new IOException("a frame of " + message.remaining() + " bytes is shorter than its head");
        Type type = type(message.get());
        int length = length(message.getInt());
        if (message.remaining() != length) throw new IOException(type + " frame says " + length + " bytes but carries " + message.remaining());
        byte[] payload = new byte[length];
        message.get(payload);
        return new Frame(type, payload);
    }

    public static void write(OutputStream out, Frame f) throws IOException {
        out.write(encode(f));
        out.flush();
    }

    /** The next frame on a connection, or null where it ends cleanly between frames. */
    public static Frame read(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) return null;
        DataInputStream data = new DataInputStream(in);
        try {
            Type type = type((byte) first);
            int length = length(data.readInt());
            byte[] payload = new byte[length];
            data.readFully(payload);
            return new Frame(type, payload);
        } catch (EOFException e) {
            throw new IOException("the connection ended inside a frame", e);
        }
    }

    private static Type type(byte b) throws IOException {
        int t = Byte.toUnsignedInt(b);
        if (t >= Type.values().length) throw new IOException("unknown frame type " + t);
        return Type.values()[t];
    }

    private static int length(int length) throws IOException {
        if (length < 0 || length > MAX_PAYLOAD) throw new IOException("a frame of " + Integer.toUnsignedLong(length) + " bytes: at most " + MAX_PAYLOAD);
        return length;
    }
}
