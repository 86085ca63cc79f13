package dev.grid.appliance;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Running a datastore's tools, from a keeper or a provider: standard output back, standard error in the failure. */
public final class Command {
    private Command() {}

    /**
     * Runs {@code command} from /tmp (a datastore's own user may not enter /app) with {@code env}
     * added — the place for passwords, which never belong in arguments or messages — and
     * returns its standard output, stripped. A non-zero exit, or not finishing within
     * {@code timeout}, is an IOException naming the program and carrying what it printed; a
     * program that is not installed is a {@link java.io.FileNotFoundException}.
     */
    public static String run(List<String> command, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        return run(command, env, null, timeout);
    }

    /** As {@link #run(List, Map, Duration)}, with the file {@code input} (opened here, by this process) as its standard input. */
    public static String run(List<String> command, Map<String, String> env, java.nio.file.Path input, Duration timeout) throws IOException, InterruptedException {
        File err = File.createTempFile("grid-keeper", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(new File("/tmp")).redirectError(err);
            pb.environment().putAll(env);
            if (input != null) pb.redirectInput(input.toFile());
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new java.io.FileNotFoundException(program(command) + " is not installed: " + e.getMessage());
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(program(command) + " timed out after " + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) throw new IOException(program(command) + " failed: " + (out + Files.readString(err.toPath())).strip());
            return out.strip();
        } finally {
            err.delete();
        }
    }

    /**
     * What runs a program that reads an untrusted file as {@code nobody} when this process is root:
     * {@code setpriv}, which execs the program (so a PID stopped is the program's); nothing otherwise.
     */
    public static List<String> asNobody() {
        return "root".equals(System.getProperty("user.name"))
                ? List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--no-new-privs", "--")
                : List.of();
    }

    /** The program's name, past a {@code runuser -u USER --} prefix. */
    static String program(List<String> command) {
        int i = command.indexOf("--");
        return command.get(i >= 0 && i + 1 < command.size() ? i + 1 : 0);
    }
}
