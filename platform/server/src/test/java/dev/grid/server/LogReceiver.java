package dev.grid.server;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * A log drain's receiver on loopback, as a test's: syslog over TCP or TLS (RFC 6587 octet
 * counting, strictly: a frame that does not parse fails the test), or HTTPS POSTs of such frames
 * as Heroku's Logplex sends them. It keeps every message it took, and each POST's headers.
 */
final class LogReceiver implements AutoCloseable {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final List<Map<String, List<String>>> posts = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final HttpsServer https;
    final int port;

    private LogReceiver(ServerSocket server, HttpsServer https) {
        this.server = server;
        this.https = https;
        this.port = server != null ? server.getLocalPort() : https.getAddress().getPort();
        if (server != null) {
            Thread t = new Thread(this::accept, "log-receiver-" + port);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Syslog over TCP ({@code tls} null) or over TLS, on 127.0.0.1:{@code port} (0: any free one). */
    static LogReceiver syslog(SSLContext tls, int port) throws IOException {
        ServerSocket s = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return new LogReceiver(s, null);
    }

    static LogReceiver https(SSLContext tls) throws IOException {
        HttpsServer h = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        h.setHttpsConfigurator(new HttpsConfigurator(tls));
        LogReceiver r = new LogReceiver(null, h);
        h.createContext("/", exchange -> {
            try (exchange) {
                r.posts.add(Map.copyOf(exchange.getRequestHeaders()));
                r.frames(new BufferedInputStream(exchange.getRequestBody()));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        h.start();
        return r;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> {
                    try (s) {
                        frames(new BufferedInputStream(s.getInputStream()));
                    } catch (IOException e) {
                        // the sender went
                    }
                }, "log-receiver-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads octet-counted frames until the stream ends. */
    private void frames(InputStream in) throws IOException {
        while (true) {
            int length = 0;
            int c;
            int digits = 0;
            while ((c = in.read()) >= '0' && c <= '9') {
                length = length * 10 + (c - '0');
                digits++;
            }
            if (c < 0 && digits == 0) return;
            if (c != ' ' || digits == 0) {
                errors.add("not an octet count: " + digits + " digits then " + c);
                return;
            }
            byte[] frame = in.readNBytes(length);
            if (frame.length < length) {
                errors.add("a frame cut short: " + frame.length + " of " + length + " bytes");
                return;
            }
            messages.add(new String(frame, StandardCharsets.UTF_8));
        }
    }

    /** The messages that contain every one of {@code parts}. */
    List<String> containing(String... parts) {
        return messages.stream().filter(m -> {
            for (String p : parts) if (!m.contains(p)) return false;
            return true;
        }).toList();
    }

    @Override
    public void close() throws IOException {
        if (server != null) server.close();
        if (https != null) https.stop(0);
    }
}
