package dev.grid.appliance.redis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal RESP2 client for what the provider itself asks of a Redis: signing in, INFO, and the
 * DUMP/RESTORE of a backup (binary values). Replies are {@code String} (simple), {@code Long},
 * {@code byte[]} (bulk), {@code List} or null; an error reply is thrown as {@link Error}.
 * Commands may be pipelined: {@link #send} several, then {@link #read} as many replies.
 */
final class Resp implements AutoCloseable {
    /** An error reply ({@code -ERR ...}): the server refused the command. */
    static final class Error extends IOException {
        Error(String message) {
            super(message);
        }
    }

    private final AutoCloseable connection;
    private final DataInputStream in;
    private final OutputStream out;

    Resp(AutoCloseable connection, InputStream in, OutputStream out) {
        this.connection = connection;
        this.in = new DataInputStream(new BufferedInputStream(in, 1 << 16));
        this.out = new BufferedOutputStream(out, 1 << 16);
    }

    /** A connection to {@code host:port}: over TLS trusting {@code caPem} when given, plain TCP otherwise. */
    static Resp connect(String host, int port, String caPem, int timeoutMillis) throws IOException {
        java.net.Socket s = caPem == null ? new java.net.Socket() : dev.grid.appliance.ClusterCa.trusting(caPem).getSocketFactory().createSocket();
        try {
            s.connect(new java.net.InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            return new Resp(s, s.getInputStream(), s.getOutputStream());
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** A connection to a server's Unix socket (a scratch server: nothing else can reach it). */
    static Resp unix(java.nio.file.Path socket) throws IOException {
        var channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket));
        return new Resp(channel, java.nio.channels.Channels.newInputStream(channel), java.nio.channels.Channels.newOutputStream(channel));
    }

    /** Signs in ({@code AUTH user password}, or {@code AUTH password} for a null user). */
    Resp auth(String user, String password) throws IOException {
        Object reply = user == null ? call("AUTH", password) : call("AUTH", user, password);
        if (!"OK".equals(reply)) throw new IOException("AUTH: " + reply);
        return this;
    }

    /** One command and its reply. */
    Object call(Object... args) throws IOException {
        send(args);
        flush();
        return read();
    }

    /** A bulk or simple reply as text (INFO's), or null. */
    String text(Object... args) throws IOException {
        Object reply = call(args);
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply == null ? null : reply.toString();
    }

    /** Writes a command ({@code String}, {@code byte[]} or a number per argument) without waiting for its reply. */
    void send(Object... args) throws IOException {
        out.write(encode(args));
    }

    void flush() throws IOException {
        out.flush();
    }

    /** The next reply. */
    Object read() throws IOException {
        return parse(in);
    }

    /** The {@code name:value} lines of an INFO reply (its {@code # Section} lines left out). */
    static Map<String, String> fields(String info) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : info == null ? new String[0] : info.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) out.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return out;
    }

    static byte[] encode(Object... args) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object a : args) {
            byte[] bytes = a instanceof byte[] raw ? raw : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
            b.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(bytes);
            b.writeBytes(new byte[] {'\r', '\n'});
        }
        return b.toByteArray();
    }

    static Object parse(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) throw new EOFException("the server closed the connection");
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new Error(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) return null;
                byte[] body = new byte[n];
                in.readFully(body);
                line(in);
                return body;
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) return null;
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    try {
                        items.add(parse(in));
                    } catch (Error e) {
                        items.add(e); // an error inside EXEC's replies is one command's, not the reply's
                    }
                }
                return items;
            }
            default:
                throw new IOException("not a RESP reply: " + (char) type + line);
        }
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new EOFException("the server closed the connection");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        try {
            connection.close();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
