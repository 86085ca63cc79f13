package dev.grid.controller.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.controller.domain.Jobs;
import dev.grid.controller.domain.RunSession;
import dev.grid.core.OneOffRun;
import dev.grid.wire.RunFrames;
import dev.grid.wire.RunFrames.Frame;
import dev.grid.wire.RunFrames.Type;
import dev.grid.store.Credentials;
import dev.grid.store.Store;
import io.micronaut.websocket.WebSocketSession;
import io.micronaut.websocket.annotation.OnClose;
import io.micronaut.websocket.annotation.OnMessage;
import io.micronaut.websocket.annotation.ServerWebSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code grid run}'s session: a WebSocket ({@code GET /apps/APP/run/attach}, the operator's token
 * checked by {@link TokenFilter} on the upgrade) whose binary messages are {@link RunFrames}, one
 * each. The caller's first is {@link Type#START} (JSON: {@code command}, {@code tty}, {@code rows},
 * {@code cols}); then IN, EOF and RESIZE, while the session sends STATUS, OUT, ERR and at last EXIT
 * or FAIL, and closes. Each session runs on a thread of its own ({@link RunSession}).
 */
@ServerWebSocket("/apps/{app}/run/attach")
public class RunSocket {
    private static final String SESSION = "grid.run-session";
    /** The executor, of one thread, that takes run sessions' messages in the order they came (ControllerServer configures it). */
    public static final String INPUT = "run-input";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Store store;
    private final Jobs jobs;
    private final Credentials.Own credential;
    private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "run-session");
        t.setDaemon(true);
        return t;
    });

    public RunSocket(Store store, Jobs jobs, Credentials.Own credential) {
        this.store = store;
        this.jobs = jobs;
        this.credential = credential;
    }

    /**
     * On one thread of its own ({@link #INPUT}), for every session: the server's IO thread selection
     * would hand each message to a pool thread, and stdin's frames overtook each other (seen: a
     * 16 KiB chunk before the one it followed). It waits only where a caller sends faster than the
     * command reads, once {@link RunSession#QUEUED_FRAMES} frames wait, and never on an event loop.
     */
    @io.micronaut.scheduling.annotation.ExecuteOn(INPUT)
    @OnMessage(maxPayloadLength = RunFrames.MAX_PAYLOAD + 16)
    public void message(String app, byte[] message, WebSocketSession ws) {
        Frame f;
        try {
            f = RunFrames.decode(ByteBuffer.wrap(message));
        } catch (IOException e) {
            refuse(ws, e.getMessage());
            return;
        }
        RunSession session = ws.get(SESSION, RunSession.class).orElse(null);
        if (session != null) {
            session.fromCaller(f);
            return;
        }
        if (f.type() != Type.START) {
            refuse(ws, "a session begins with a START frame");
            return;
        }
        JsonNode start;
        try {
            start = JSON.readTree(f.payload());
        } catch (IOException e) {
            refuse(ws, "START carries JSON: {\"command\": ..., \"tty\": true|false, \"rows\": N, \"cols\": N}");
            return;
        }
        String command = start.path("command").asText("");
        OneOffRun.Stdio stdio = start.path("tty").asBoolean(false) ? OneOffRun.Stdio.TTY : OneOffRun.Stdio.PIPE;
        RunSession s = new RunSession(store, jobs, credential, out -> send(ws, out));
        ws.put(SESSION, s);
        int rows = start.path("rows").asInt(0);
        int cols = start.path("cols").asInt(0);
        if (stdio == OneOffRun.Stdio.TTY && rows > 0 && cols > 0 && rows <= 0xFFFF && cols <= 0xFFFF) s.fromCaller(RunFrames.resize(rows, cols));
        sessions.execute(() -> {
            try {
                s.run(app, command, stdio);
            } finally {
                ws.close();
            }
        });
    }

    @OnClose
    public void close(WebSocketSession ws) {
        ws.get(SESSION, RunSession.class).ifPresent(RunSession::close);
    }

    /** Sends a frame to the caller, waiting for it to go out: a caller that reads slowly slows the command's output down, not the controller's memory. */
    private static void send(WebSocketSession ws, Frame f) {
        if (!ws.isOpen()) return;
        try {
            ws.sendAsync(RunFrames.encode(f)).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            ws.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void refuse(WebSocketSession ws, String why) {
        send(ws, RunFrames.text(Type.FAIL, why));
        ws.close();
    }
}
