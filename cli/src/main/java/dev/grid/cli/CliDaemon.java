package dev.grid.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CLI kept warm, so that a command answers in a few tens of milliseconds instead of a JVM's
 * start (the {@code ./grid} launcher talks to it with bash's {@code /dev/tcp}; see
 * {@code scripts/cli-client.sh}). It listens on loopback, on a port of its own, and runs a
 * command only for a client that shows its secret, which is in a file only its user can read
 * ({@code GRID_HOME/cli-daemon}: "PORT SECRET PID"): app processes on this machine can reach the
 * port but not the file. It runs each command as the client would: in the client's directory,
 * with its {@code GRID_APP}, {@code GRID_URL}, {@code GRID_TOKEN} and {@code GRID_HOME}, and
 * stops after {@link #IDLE_MS} without one. Only commands that need neither stdin nor a terminal
 * nor a file of the client's come here: the launcher runs the others itself.
 *
 * <p>Request: NUL-terminated fields: secret, directory, GRID_APP, GRID_URL, GRID_TOKEN,
 * GRID_HOME (empty: unset), the number of arguments, the arguments. Answer: lines, each a kind
 * then its text: {@code o}/{@code e} a line of stdout/stderr, {@code O}/{@code E} output without
 * a newline yet, {@code x} the exit code, last.
 */
public final class CliDaemon {
    static final long IDLE_MS = 15 * 60 * 1000L;
    private static final int MAX_FIELD = 64 * 1024;
    private static final int MAX_ARGS = 1000;

    private final ServerSocket server;
    private final byte[] secret;
    private final Map<String, Api> apis = new ConcurrentHashMap<>();
    private final AtomicLong lastUse = new AtomicLong(System.currentTimeMillis());
    private final AtomicInteger running = new AtomicInteger();

    CliDaemon(String secret) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.secret = secret.getBytes(StandardCharsets.US_ASCII);
    }

    int port() {
        return server.getLocalPort();
    }

    /** {@code CliDaemon STATE_FILE}: serves until idle, its port and secret in STATE_FILE meanwhile. */
    public static void main(String[] args) throws Exception {
        Path state = Path.of(args[0]);
        String secret = HexFormat.of().formatHex(random());
        CliDaemon daemon = new CliDaemon(secret);
        String line = daemon.port() + " " + secret + " " + ProcessHandle.current().pid() + "\n";
        Path tmp = state.resolveSibling(state.getFileName() + "." + ProcessHandle.current().pid());
        Files.writeString(tmp, "");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(tmp, line);
        Files.move(tmp, state, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Thread idle = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    return;
                }
                if (daemon.running.get() == 0 && System.currentTimeMillis() - daemon.lastUse.get() > IDLE_MS) {
                    try {
                        if (Files.readString(state).equals(line)) Files.delete(state); // not a newer daemon's
                    } catch (IOException ignored) {
                        // gone already
                    }
                    System.exit(0);
                }
            }
        }, "cli-daemon-idle");
        idle.setDaemon(true);
        idle.start();
        daemon.serve();
    }

    private static byte[] random() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return b;
    }

    void serve() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            Thread t = new Thread(() -> handle(s), "cli-daemon-command");
            t.setDaemon(true);
            t.start();
        }
    }

    void close() throws IOException {
        server.close();
    }

    private void handle(Socket s) {
        running.incrementAndGet();
        try (s) {
            s.setSoTimeout(10_000); // the request comes at once; a command's output may take as long as it takes
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            Object lock = new Object();
            PrintWriter stdout = new PrintWriter(new Frames(out, 'o', lock));
            PrintWriter stderr = new PrintWriter(new Frames(out, 'e', lock));
            int code;
            try {
                if (!MessageDigest.isEqual(field(in).getBytes(StandardCharsets.US_ASCII), secret)) {
                    stderr.println(" !    this CLI daemon's secret was not given: it runs nothing");
                    code = 2;
                } else {
                    code = run(in, stdout, stderr);
                }
            } catch (IOException | RuntimeException e) {
                stderr.println(" !    " + (e instanceof CliException ? e.getMessage() : "the request could not be read: " + e));
                code = e instanceof CliException ? 1 : 2;
            }
            stdout.flush();
            stderr.flush();
            synchronized (lock) {
                out.write(("x" + code + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException clientGone) {
            // the client went (Ctrl-C): nothing to answer
        } finally {
            lastUse.set(System.currentTimeMillis());
            running.decrementAndGet();
        }
    }

    private int run(InputStream in, PrintWriter stdout, PrintWriter stderr) throws IOException {
        Path dir = Path.of(field(in));
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("GRID_APP", "GRID_URL", "GRID_TOKEN", "GRID_HOME")) {
            String v = field(in);
            if (!v.isEmpty()) env.put(name, v);
        }
        int argc;
        try {
            argc = Integer.parseInt(field(in));
        } catch (NumberFormatException e) {
            throw new IOException("no argument count");
        }
        if (argc < 0 || argc > MAX_ARGS) throw new IOException("too many arguments: " + argc);
        List<String> args = new ArrayList<>();
        for (int i = 0; i < argc; i++) args.add(field(in));
        Api fresh = Api.fromEnvironment(env);
        Api api = apis.computeIfAbsent(fresh.identity(), k -> fresh); // a warm client per Grid and token
        var cl = Grid.commandLine(Grid.forClient(api, dir, env.get("GRID_APP")));
        cl.setOut(stdout);
        cl.setErr(stderr);
        return cl.execute(args.toArray(String[]::new));
    }

    /** One NUL-terminated field, UTF-8. */
    private static String field(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != 0) {
            if (c < 0) throw new IOException("the request ended early");
            if (b.size() >= MAX_FIELD) throw new IOException("a field longer than " + MAX_FIELD + " bytes");
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** A stream of output as frames: each line with its kind first; what is flushed before its newline, as a partial frame. */
    private static final class Frames extends Writer {
        private final OutputStream out;
        private final char kind;
        private final Object lock;
        private final StringBuilder line = new StringBuilder();

        Frames(OutputStream out, char kind, Object lock) {
            this.out = out;
            this.kind = kind;
            this.lock = lock;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                char c = cbuf[i];
                if (c == '\n') {
                    emit(kind);
                } else {
                    line.append(c);
                }
            }
        }

        private void emit(char k) throws IOException {
            byte[] frame = (k + line.toString().replace("\r", "") + "\n").getBytes(StandardCharsets.UTF_8);
            line.setLength(0);
            synchronized (lock) {
                out.write(frame);
            }
        }

        @Override
        public void flush() throws IOException {
            if (line.length() > 0) emit(Character.toUpperCase(kind));
            synchronized (lock) {
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
