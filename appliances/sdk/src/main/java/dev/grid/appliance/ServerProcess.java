package dev.grid.appliance;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The datastore server a keeper runs as its child, its output going to the container's
 * log: started and awaited until it answers, and stopped by asking first.
 */
public final class ServerProcess {
    /** How to ask the server to stop (a command, or a signal); may throw. */
    public interface Stopping {
        void ask(Process process) throws Exception;
    }

    private final String name;
    private Process process;

    public ServerProcess(String name) {
        this.name = name;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Why it does not run, for {@link Datastore.Observation#stopped}. */
    public String notRunning() {
        return process == null ? name + " not started" : name + " exited with " + process.exitValue();
    }

    /**
     * Starts the server unless it runs, and returns once {@code ready} says it answers. A server
     * that exits while starting, or does not answer within {@code timeout}, is an IOException.
     */
    public void start(ProcessBuilder command, Callable<Boolean> ready, Duration timeout) throws Exception {
        if (running()) return;
        process = command.inheritIO().start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException(name + " exited with " + process.exitValue() + " while starting (see the log above)");
            try {
                if (ready.call()) return;
            } catch (Exception notYet) {
                // not listening yet, or still recovering
            }
            Thread.sleep(100);
        }
        throw new IOException(name + " did not answer within " + timeout.toSeconds() + " s");
    }

    /** Asks the server to stop and waits up to {@code timeout}; kills it if asking fails or it does not stop. */
    public void stop(Stopping ask, Duration timeout) {
        if (!running()) return;
        try {
            ask.ask(process);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }
}
