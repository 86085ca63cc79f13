package dev.grid.cli;

import dev.grid.wire.RunFrames;
import dev.grid.wire.RunFrames.Frame;
import dev.grid.wire.RunFrames.Type;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code grid run}'s side of a run session ({@code GET /apps/APP/run/attach}, a WebSocket whose
 * messages are {@link RunFrames}): it says what to run, then sends the caller's stdin (and the
 * terminal's size, when it changes) while it writes what the command writes, until the command's
 * exit code comes. The next message is asked for only once the last one is written, so a slow
 * terminal slows the command's output down rather than filling memory.
 */
final class RunClient {
    /** How often an idle session shows the API that it is alive. */
    static final java.time.Duration PING = java.time.Duration.ofMinutes(5);
    private final Api api;
    private final Terminal terminal;
    private final PrintWriter status;

    RunClient(Api api, Terminal terminal, PrintWriter status) {
        this.api = api;
        this.terminal = terminal;
        this.status = status;
    }

    /** Runs {@code command} in a new process of {@code app}; its exit code (1 if the session could not say it). */
    int run(String app, String command, boolean tty) {
        int[] size = tty ? terminal.size() : null;
        Map<String, Object> start = Api.map("command", command, "tty", tty, "rows", size == null ? 0 : size[0], "cols", size == null ? 0 : size[1]);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        // In raw mode a line ends as the terminal would not end it by itself.
        String prefix = "Running " + command + " on " + app + "... ";
        String eol = tty ? "\r\n" : "\n";
        WebSocket ws;
        try {
            ws = api.webSocket("/apps/" + app + "/run/attach", new Listener(exit, prefix, eol)).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                throw new CliException("the API refused the session (HTTP " + h.getResponse().statusCode() + "): check GRID_TOKEN or GRID_HOME/cli.json");
            }
            throw new CliException("cannot reach the API at " + api.url + ": " + e.getCause().getMessage());
        }
        try {
            send(ws, RunFrames.text(Type.START, Api.JSON.writeValueAsString(start)));
        } catch (IOException e) {
            throw new CliException("cannot start the session: " + e.getMessage());
        }
        AutoCloseable raw = null;
        try {
            if (tty) {
                raw = terminal.raw();
                terminal.onResize(() -> {
                    int[] now = terminal.size();
                    if (now != null) send(ws, RunFrames.resize(now[0], now[1]));
                });
            }
            Thread input = new Thread(() -> pumpInput(ws, exit), "grid-run-stdin");
            input.setDaemon(true); // a terminal's read never ends by itself: the CLI exits past it
            input.start();
            // A shell left alone for a while is still a session: the API closes connections idle for 30 minutes.
            var pings = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "grid-run-ping");
                t.setDaemon(true);
                return t;
            });
            pings.scheduleAtFixedRate(() -> {
                synchronized (ws) {
                    ws.sendPing(ByteBuffer.allocate(0)).exceptionally(e -> null).join();
                }
            }, PING.toSeconds(), PING.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            int code = exit.join();
            pings.shutdownNow();
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
            return code;
        } catch (IOException e) {
            throw new CliException("cannot set this terminal up for the session: " + e.getMessage());
        } finally {
            if (raw != null) {
                try {
                    raw.close();
                } catch (Exception ignored) {
                    // the terminal is gone
                }
            }
        }
    }

    private void pumpInput(WebSocket ws, CompletableFuture<Integer> exit) {
        InputStream in = terminal.in();
        byte[] buffer = new byte[16 * 1024];
        try {
            int n;
            while (!exit.isDone() && (n = in.read(buffer)) >= 0) {
                if (n > 0) send(ws, RunFrames.data(Type.IN, buffer, n));
            }
            if (!exit.isDone()) send(ws, new Frame(Type.EOF, new byte[0]));
        } catch (IOException | RuntimeException e) {
            // the session ended, or stdin broke: the command's end is what the caller waits for
        }
    }

    private static void send(WebSocket ws, Frame f) {
        synchronized (ws) { // one message at a time: the JDK refuses a send while one is under way
            ws.sendBinary(ByteBuffer.wrap(RunFrames.encode(f)), true).join();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final CompletableFuture<Integer> exit;
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();
        private final String prefix;
        private final String eol;

        Listener(CompletableFuture<Integer> exit, String prefix, String eol) {
            this.exit = exit;
            this.prefix = prefix;
            this.eol = eol;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            message.write(bytes, 0, bytes.length);
            if (last) {
                try {
                    handle(RunFrames.decode(ByteBuffer.wrap(message.toByteArray())));
                } catch (IOException e) {
                    fail("the API sent what is not a run frame: " + e.getMessage());
                }
                message.reset();
            }
            ws.request(1);
            return null;
        }

        private void handle(Frame f) throws IOException {
            switch (f.type()) {
                case STATUS -> {
                    status.print(prefix + f.text() + eol);
                    status.flush();
                }
                case OUT -> {
                    terminal.out().write(f.payload());
                    terminal.out().flush();
                }
                case ERR -> {
                    terminal.err().write(f.payload());
                    terminal.err().flush();
                }
                case EXIT -> exit.complete(f.exitCode());
                case FAIL -> fail(f.text());
                default -> fail("the API sent a " + f.type() + " frame");
            }
        }

        private void fail(String why) {
            if (exit.isDone()) return;
            status.print(" !    " + why + eol);
            status.flush();
            exit.complete(1);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            fail("the session ended before the command did" + (reason == null || reason.isEmpty() ? "" : ": " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            fail("the session broke off: " + error.getMessage());
        }
    }
}
