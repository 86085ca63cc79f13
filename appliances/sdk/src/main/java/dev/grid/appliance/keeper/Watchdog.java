package dev.grid.appliance.keeper;

import dev.grid.appliance.Datastore.Fence;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The keeper's side of fencing ({@code watchdog.sh}): it writes when its lease was last renewed
 * while it serves as the primary, runs the watchdog with the datastore's fence command, and
 * tells whether the watchdog fenced. The deadline is the lease's TTL minus one renewal: by then
 * the keeper would have renewed, and the lease, and with it the manager's trust, may end within
 * one renewal.
 */
public final class Watchdog implements AutoCloseable {
    public static final long DEADLINE_MILLIS = Keeper.TTL_SECONDS * 1000 - Keeper.RENEW_MILLIS;

    private final Path dir;
    private final Path lease;
    private final Path fenced;
    private Process process;
    private Fence running;

    Watchdog(Path dir) {
        this.dir = dir;
        this.lease = dir.resolve("lease");
        this.fenced = dir.resolve("fenced");
    }

    /** The script's command line: the script, the files, the deadline, then the fence command. */
    static List<String> command(Path script, Path lease, Path fenced, long deadlineMillis, List<String> fence) {
        List<String> cmd = new ArrayList<>(List.of("sh", script.toString(), lease.toString(), fenced.toString(), String.valueOf(deadlineMillis)));
        cmd.addAll(fence);
        return cmd;
    }

    /** Runs the watchdog for {@code fence} (restarts it if that changed or it died); none for null. */
    synchronized void ensure(Fence fence) throws IOException {
        if (fence != null && fence.equals(running) && process != null && process.isAlive()) return;
        stop();
        running = fence;
        if (fence == null) return;
        Files.createDirectories(dir);
        Path script = dir.resolve("watchdog.sh");
        try (InputStream in = Watchdog.class.getResourceAsStream("watchdog.sh")) {
            if (in == null) throw new IOException("watchdog.sh is missing from the keeper");
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(command(script, lease, fenced, DEADLINE_MILLIS, fence.command())).inheritIO();
        pb.environment().putAll(fence.env());
        process = pb.start();
    }

    /** Serving as the primary, with the lease renewed by a request sent at {@code renewedAtMillis}. */
    synchronized void renewed(long renewedAtMillis) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("lease.tmp");
        Files.writeString(tmp, String.valueOf(renewedAtMillis), StandardCharsets.US_ASCII);
        Files.move(tmp, lease, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Not the registered primary (any more, or not yet again after a lost lease): nothing more to
     * fence. A fence already set stays marked until the keeper lifts it as the primary again (a
     * stopped server lost it anyway).
     */
    synchronized void notPrimary() throws IOException {
        Files.deleteIfExists(lease);
    }

    boolean fenced() {
        return Files.exists(fenced);
    }

    /** The fence was lifted. */
    void lifted() throws IOException {
        Files.deleteIfExists(fenced);
    }

    private void stop() {
        if (process != null) {
            process.destroy();
            process = null;
        }
    }

    @Override
    public synchronized void close() {
        stop();
    }
}
