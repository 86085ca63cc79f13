package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobState;
import dev.grid.core.JobStatus;
import dev.grid.core.OneOffRun;
import dev.grid.wire.RunFrames;
import dev.grid.wire.RunFrames.Frame;
import dev.grid.wire.RunFrames.Type;
import dev.grid.store.Credentials;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An attached one-off run ({@code grid run}) as its caller's session, between the caller (the
 * API's WebSocket) and the host that runs it. {@link #run} starts the run, waits until its
 * container is made (saying what it waits for in {@link Type#STATUS} frames), attaches to it
 * through the host's {@link HostInfo#attachAddress} with the controller's own credential, and gives
 * the caller every frame the host sends until {@link Type#EXIT} or {@link Type#FAIL}. Frames from
 * the caller ({@link #fromCaller}) go to the host in order; what comes before the attach waits for
 * it. {@link #close} (the caller hung up, or the session ended) ends the run: its job goes.
 */
public final class RunSession implements AutoCloseable {
    /** How long the session waits for its run's container. */
    static final Duration MADE_WITHIN = Duration.ofMinutes(5);
    /** How much of the caller's input may wait for the attach, or for a host that reads slowly. */
    static final int QUEUED_FRAMES = 256;
    private static final Frame END = new Frame(Type.EOF, new byte[0]);

    /** What the session does next while its run's container is being made. */
    sealed interface Step permits Wait, Attach, Fail {}

    record Wait(String why) implements Step {}

    record Attach(String address) implements Step {}

    record Fail(String why) implements Step {}

    /**
     * The next step, from the run's job (null: not placed yet), its status on its host (null: none
     * yet) and that host (null: gone). Pure: what {@link #run} polls.
     */
    static Step next(JobSpec job, JobStatus status, HostInfo host) {
        if (job == null) return new Wait("waiting for the scheduler to place it");
        if (status == null) return new Wait("waiting for host " + job.hostId() + " to make its container");
        if (status.state().isDown()) return new Fail("it ended before it was attached: " + status.message());
        if (status.state() != JobState.STARTING || status.startedAt() != null) return new Fail("it started without its caller: a run is attached once");
        if (status.containerId() == null) {
            return new Wait(status.message() != null ? status.message() + " (host " + job.hostId() + ")" : "waiting for host " + job.hostId() + " to make its container");
        }
        if (host == null) return new Fail("host " + job.hostId() + " is down");
        if (host.attachAddress() == null) return new Fail("host " + job.hostId() + " runs a Grid without run sessions: upgrade it");
        return new Attach(host.attachAddress());
    }

    private final Store store;
    private final Jobs jobs;
    private final Credentials.Own credential;
    private final Consumer<Frame> toCaller;
    private final BlockingQueue<Frame> toHost = new ArrayBlockingQueue<>(QUEUED_FRAMES);
    private volatile String runId;
    private volatile Socket host;
    private volatile boolean closed;
    private boolean ended;

    public RunSession(Store store, Jobs jobs, Credentials.Own credential, Consumer<Frame> toCaller) {
        this.store = store;
        this.jobs = jobs;
        this.credential = credential;
        this.toCaller = toCaller;
    }

    /** The whole session, on the calling thread: until the command ends, the caller hangs up, or it cannot go on (then the caller gets a FAIL). */
    public void run(String app, String command, OneOffRun.Stdio stdio) {
        try {
            runId = jobs.startAttached(app, command, stdio);
            String job = runId;
            if (closed) return; // the caller hung up while it was being written: the finally ends it
            Socket socket = connect(awaitContainer(job));
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            RunFrames.write(out, RunFrames.text(Type.ATTACH, job + "\n" + Credentials.header(credential.token())));
            Thread writer = new Thread(() -> writeToHost(out), "run-session-in");
            writer.setDaemon(true);
            writer.start();
            toCaller.accept(RunFrames.text(Type.STATUS, "up, run." + job));
            Frame f;
            while ((f = RunFrames.read(in)) != null) {
                if (f.type() != Type.OUT && f.type() != Type.ERR && f.type() != Type.EXIT && f.type() != Type.FAIL) {
                    throw new IOException("host sent a " + f.type() + " frame");
                }
                toCaller.accept(f);
                if (f.type() == Type.EXIT || f.type() == Type.FAIL) return;
            }
            if (!closed) toCaller.accept(RunFrames.text(Type.FAIL, "the host ended the session without the command's exit code"));
        } catch (GridException e) {
            if (!closed) toCaller.accept(RunFrames.text(Type.FAIL, e.getMessage()));
        } catch (IOException | RuntimeException e) {
            if (!closed) toCaller.accept(RunFrames.text(Type.FAIL, "the session broke off: " + e.getMessage()));
        } finally {
            close();
            endRun();
        }
    }

    private InetSocketAddress awaitContainer(String job) {
        long deadline = System.nanoTime() + MADE_WITHIN.toNanos();
        String said = null;
        JobSpec spec = null;
        for (int round = 0; !closed; round++) {
            JobStatus status = store.get(Keys.status(job), JobStatus.class).orElse(null);
            // Its host reports its status: then its spec is one read away. Until then, the jobs are scanned once a second only.
            if (status != null) spec = store.get(Keys.job(status.hostId(), job), JobSpec.class).orElse(null);
            else if (spec == null && round % 10 == 0) spec = store.values(Keys.JOBS, JobSpec.class).stream().filter(j -> j.id().equals(job)).findFirst().orElse(null);
            HostInfo host = spec == null ? null : store.get(Keys.host(spec.hostId()), HostInfo.class).orElse(null);
            Step step = next(spec, status, host);
            if (step instanceof Attach) return host.attachEndpoint();
            if (step instanceof Fail f) throw new GridException(500, "run." + job + ": " + f.why());
            String why = ((Wait) step).why();
            if (!why.equals(said)) toCaller.accept(RunFrames.text(Type.STATUS, why));
            said = why;
            if (System.nanoTime() > deadline) throw new GridException(504, "run." + job + " was not made in " + MADE_WITHIN.toMinutes() + " minutes: " + why);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GridException(503, "interrupted");
            }
        }
        throw new GridException(499, "the caller hung up");
    }

    private Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 5000);
        host = socket;
        if (closed) socket.close();
        return socket;
    }

    /** A frame from the caller (IN, EOF or RESIZE), for the host in order; a caller who sends faster than the command reads for 30 s is cut off. */
    public void fromCaller(Frame f) {
        if (f.type() != Type.IN && f.type() != Type.EOF && f.type() != Type.RESIZE) {
            toCaller.accept(RunFrames.text(Type.FAIL, "a caller sends IN, EOF and RESIZE frames, not " + f.type()));
            close();
            return;
        }
        try {
            if (!toHost.offer(f, 30, TimeUnit.SECONDS)) {
                toCaller.accept(RunFrames.text(Type.FAIL, "the command has read none of its input for 30 s"));
                close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeToHost(OutputStream out) {
        try {
            while (!closed) {
                Frame f = toHost.poll(1, TimeUnit.SECONDS);
                if (f == null || f == END) continue;
                RunFrames.write(out, f);
            }
        } catch (IOException e) {
            // the host's side ended: the reader sees it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the session and its run (its job goes: a command still running is stopped). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            toHost.offer(END);
            Socket s = host;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closed
                }
            }
        }
        endRun();
    }

    /** The run's key goes, once: also for a run written after its caller hung up (then {@link #run} ends it). */
    private synchronized void endRun() {
        String id = runId;
        if (id == null || ended) return;
        ended = true;
        try {
            jobs.endRun(id);
        } catch (RuntimeException e) {
            // the scheduler ends a run nobody ended, a while after its job stops
        }
    }
}
