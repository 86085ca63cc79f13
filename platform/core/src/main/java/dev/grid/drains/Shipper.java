package dev.grid.drains;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one drain's lines from this process, on a thread of its own. Whoever has a line hands it
 * over with {@link #offer}, which never waits: the lines wait in a buffer of {@code capacity}, and
 * when it is full the oldest goes and is counted. A drain that is down or slow therefore costs
 * the app nothing, and this process at most the buffer and one batch in flight. The sender takes
 * the oldest lines out as a batch; once the receiver took them (written to the syslog connection,
 * or the HTTPS POST answered 2xx) they are sent, and after a failure they go back in front of the
 * newer lines (the oldest dropped if that overflows), the sender waits (1 s, doubling up to 30 s)
 * and sends them again. So every line offered is counted once, as sent or dropped, or is still
 * buffered; a line may arrive twice (a failure after a partial write) but is never skipped while
 * it is buffered, and the lines arrive in the order they were offered.
 */
public final class Shipper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Shipper.class);
    /** Lines per HTTPS POST, as Logplex batches them. */
    static final int BATCH = 500;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String id;
    private final DrainUrl url;
    private final SSLContext tls;
    private final int capacity;
    private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    /** Lines the sender has taken out of the buffer and not yet seen taken; guarded by buffer. */
    private int inFlight;
    private volatile boolean closed;
    private Socket socket;
    private OutputStream out;
    private HttpClient http;
    private long frameId;
    private String lastError;

    public Shipper(String id, DrainUrl url, SSLContext tls, int capacity) {
        this.id = id;
        this.url = url;
        this.tls = tls;
        this.capacity = capacity;
        this.thread = new Thread(this::run, "drain-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    /** Buffers a framed line; if the buffer is full the oldest goes (and is counted). Never waits. */
    public void offer(byte[] frame) {
        synchronized (buffer) {
            if (buffer.size() >= capacity) {
                buffer.pollFirst();
                dropped.incrementAndGet();
            }
            buffer.addLast(frame);
            buffer.notifyAll();
        }
    }

    public long sent() {
        return sent.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Lines not yet sent: those waiting and those in flight. */
    public int buffered() {
        synchronized (buffer) {
            return buffer.size() + inFlight;
        }
    }

    private void run() {
        long backoff = 1000;
        while (!closed) {
            List<byte[]> batch = new ArrayList<>();
            synchronized (buffer) {
                while (buffer.isEmpty() && !closed) {
                    try {
                        buffer.wait(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                while (!buffer.isEmpty() && batch.size() < BATCH) batch.add(buffer.pollFirst());
                inFlight = batch.size();
            }
            if (closed) return;
            try {
                send(batch);
                synchronized (buffer) {
                    inFlight = 0;
                    sent.addAndGet(batch.size());
                }
                if (lastError != null) log.info("drain {}: {} takes lines again", id, url.shown());
                lastError = null;
                backoff = 1000;
            } catch (IOException | RuntimeException e) {
                disconnect();
                putBack(batch);
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                if (!why.equals(lastError)) log.warn("drain {}: cannot send to {} ({}); its lines wait, up to {}, oldest dropped first", id, url.shown(), why, capacity);
                lastError = why;
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A batch not taken goes back in front of the newer lines; what no longer fits is its oldest, dropped. */
    private void putBack(List<byte[]> batch) {
        synchronized (buffer) {
            inFlight = 0;
            for (int i = batch.size() - 1; i >= 0; i--) {
                if (buffer.size() >= capacity) {
                    dropped.addAndGet(i + 1);
                    break;
                }
                buffer.addFirst(batch.get(i));
            }
        }
    }

    private void send(List<byte[]> batch) throws IOException, InterruptedException {
        if (url.kind() == DrainUrl.Kind.HTTPS) {
            post(batch);
            return;
        }
        if (socket == null) connect();
        for (byte[] line : batch) out.write(line);
        out.flush();
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(url.host(), url.port()), 5000);
            s.setSoTimeout(30_000);
            if (url.kind() == DrainUrl.Kind.SYSLOG_TLS) {
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, url.host(), url.port(), true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the drain's host
                ssl.setSSLParameters(p);
                ssl.startHandshake();
                s = ssl;
            }
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        out = new java.io.BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    }

    private void post(List<byte[]> batch) throws IOException, InterruptedException {
        if (http == null) http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
        int size = 0;
        for (byte[] line : batch) size += line.length;
        byte[] body = new byte[size];
        int at = 0;
        for (byte[] line : batch) {
            System.arraycopy(line, 0, body, at, line.length);
            at += line.length;
        }
        URI target = url.uri();
        HttpRequest.Builder r = HttpRequest.newBuilder(withoutUserInfo(target)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/logplex-1")
                .header("Logplex-Msg-Count", String.valueOf(batch.size()))
                .header("Logplex-Frame-Id", id + "-" + (++frameId))
                .header("Logplex-Drain-Token", id)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (target.getRawUserInfo() != null) {
            String user = java.net.URLDecoder.decode(target.getRawUserInfo(), StandardCharsets.UTF_8);
            r.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<Void> answer = http.send(r.build(), HttpResponse.BodyHandlers.discarding());
        if (answer.statusCode() / 100 != 2) throw new IOException("it answered " + answer.statusCode());
    }

    private static URI withoutUserInfo(URI u) {
        if (u.getRawUserInfo() == null) return u;
        return URI.create(u.toString().replace(u.getRawUserInfo() + "@", ""));
    }

    private void disconnect() {
        try {
            if (socket != null) socket.close();
        } catch (IOException ignored) {
            // gone anyway
        }
        socket = null;
        out = null;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        disconnect();
    }
}
