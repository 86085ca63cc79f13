package dev.grid.host;

import dev.grid.wire.RunFrames;
import dev.grid.wire.RunFrames.Frame;
import dev.grid.wire.RunFrames.Type;
import dev.grid.store.Credentials;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where Grid's controller attaches a caller to an attached one-off ({@code grid run}) of this
 * host: a TCP port that speaks {@link RunFrames}. The first frame is {@link Type#ATTACH}: the job,
 * and a live part's credential (anything else, or a wrong credential, ends the connection with
 * {@link Type#FAIL} and changes nothing). Then the job's container, made but not started, is
 * attached and started, so that none of its output is missed; stdin, resizes and output flow until
 * it exits, and {@link Type#EXIT} carries its exit code. A caller who hangs up first hangs the
 * command up too (SIGHUP), as a closed terminal does.
 *
 * <p>The port is one of Grid's endpoints: the host firewall closes it to app processes.
 */
final class AttachServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AttachServer.class);

    /** A job's container that may be attached now: made for an attached run, and not started yet. */
    record Attachable(String containerId, boolean tty) {}

    /** Finds the job's attachable container, or says why there is none (an {@link IllegalStateException}). */
    interface Jobs {
        Attachable attachable(String jobId);
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "host-attach");
        t.setDaemon(true);
        return t;
    });
    private final Docker docker;
    private final Credentials.Verifier verifier;
    private final Jobs jobs;

    AttachServer(String address, Docker docker, Credentials.Verifier verifier, Jobs jobs) throws IOException {
        this.docker = docker;
        this.verifier = verifier;
        this.jobs = jobs;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(address, 0), 64);
        threads.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                if (!server.isClosed()) log.warn("attach server: {}", e.toString());
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000); // for the first frame only
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            Frame first;
            try {
                first = RunFrames.read(in);
            } catch (IOException e) {
                fail(out, "not a run session: " + e.getMessage());
                return;
            }
            if (first == null || first.type() != Type.ATTACH) {
                fail(out, "a session begins with an ATTACH frame");
                return;
            }
            String[] lines = first.text().split("\n", 2);
            if (lines.length != 2 || !verifier.accepts(lines[1])) {
                fail(out, "only Grid's own parts may attach to a job");
                return;
            }
            Attachable target;
            try {
                target = jobs.attachable(lines[0]);
            } catch (IllegalStateException e) {
                fail(out, e.getMessage());
                return;
            }
            socket.setSoTimeout(0);
            attach(target, in, out);
        } catch (IOException | RuntimeException e) {
            log.debug("attach session ended: {}", e.toString());
        }
    }

    private void attach(Attachable target, InputStream in, OutputStream out) throws IOException {
        try (DockerAttach attach = docker.attach(target.containerId(), target.tty())) {
            try {
                docker.start(target.containerId());
            } catch (RuntimeException e) {
                fail(out, "cannot start the command's container: " + e.getMessage());
                return;
            }
            java.util.concurrent.atomic.AtomicBoolean exited = new java.util.concurrent.atomic.AtomicBoolean();
            threads.execute(() -> {
                try {
                    attach.pump((stderr, bytes, length) -> send(out, RunFrames.data(stderr ? Type.ERR : Type.OUT, bytes, length)));
                    int code = docker.await(target.containerId(), java.time.Duration.ofSeconds(30)).orElse(-1);
                    exited.set(true);
                    send(out, RunFrames.exit(code));
                } catch (IOException | RuntimeException e) {
                    log.debug("attach output ended: {}", e.toString());
                } finally {
                    try {
                        out.close(); // the caller's reads end: so does the loop below
                    } catch (IOException ignored) {
                        // gone
                    }
                }
            });
            try {
                Frame f;
                while ((f = RunFrames.read(in)) != null) {
                    switch (f.type()) {
                        case IN -> attach.stdin(f.payload());
                        case EOF -> attach.closeStdin();
                        case RESIZE -> {
                            if (target.tty()) docker.resize(target.containerId(), f.size()[0], f.size()[1]);
                        }
                        default -> throw new IOException("a caller does not send " + f.type() + " frames");
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.debug("attach input ended: {}", e.toString());
            }
            if (!exited.get()) hangUp(target.containerId());
        }
    }

    private void hangUp(String containerId) {
        try {
            if (docker.inspect(containerId).running()) docker.signal(containerId, "HUP");
        } catch (RuntimeException gone) {
            // it ended meanwhile
        }
    }

    private static void send(OutputStream out, Frame f) throws IOException {
        synchronized (out) {
            RunFrames.write(out, f);
        }
    }

    private static void fail(OutputStream out, String why) throws IOException {
        send(out, RunFrames.text(Type.FAIL, why));
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closed
        }
        threads.shutdownNow();
    }
}
