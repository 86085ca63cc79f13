package dev.grid.cli;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Where {@code grid run} reads its caller's input and writes the command's output: the process's
 * own stdin, stdout and stderr ({@link #system}), or a test's ({@link #pipes}). On a real terminal
 * it goes raw for the session (keystrokes, Ctrl-C included, go to the command's TTY as typed) with
 * {@code stty}, as JLine's exec terminal does, and says when its size changes (SIGWINCH). A
 * terminal of pipes alone is never interactive.
 */
class Terminal {
    private final InputStream in;
    private final OutputStream out;
    private final OutputStream err;

    Terminal(InputStream in, OutputStream out, OutputStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    InputStream in() {
        return in;
    }

    OutputStream out() {
        return out;
    }

    OutputStream err() {
        return err;
    }

    /** Whether stdin and stdout are a terminal: then the command gets a TTY too. Pipes are not. */
    boolean interactive() {
        return false;
    }

    /** Rows and columns, or null where unknown. */
    int[] size() {
        return null;
    }

    /** Puts the terminal in raw mode until the result is closed. */
    AutoCloseable raw() throws IOException {
        return () -> {};
    }

    /** Calls {@code r} on each change of the terminal's size. */
    void onResize(Runnable r) {}

    /** This process's own streams. */
    static Terminal system() {
        return new SystemTerminal();
    }

    /** Pipes only: {@code in} as stdin, output decoded into the CLI's writers. */
    static Terminal pipes(InputStream in, Writer out, Writer err) {
        return new Terminal(in, new DecodingStream(out), new DecodingStream(err));
    }

    private static final class SystemTerminal extends Terminal {
        SystemTerminal() {
            super(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err));
        }

        @Override
        boolean interactive() {
            return System.console() != null;
        }

        @Override
        int[] size() {
            try {
                String[] rc = stty("size").trim().split("\\s+");
                return rc.length == 2 ? new int[] {Integer.parseInt(rc[0]), Integer.parseInt(rc[1])} : null;
            } catch (IOException | NumberFormatException e) {
                return null;
            }
        }

        @Override
        AutoCloseable raw() throws IOException {
            String saved = stty("-g").trim();
            stty("raw", "-echo");
            Thread restore = new Thread(() -> {
                try {
                    stty(saved);
                } catch (IOException ignored) {
                    // the terminal is gone
                }
            });
            Runtime.getRuntime().addShutdownHook(restore);
            return () -> {
                Runtime.getRuntime().removeShutdownHook(restore);
                stty(saved);
            };
        }

        @Override
        @SuppressWarnings("sunapi")
        void onResize(Runnable r) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> r.run());
            } catch (IllegalArgumentException unsupported) {
                // no SIGWINCH here: the size stays what it was at the start
            }
        }

        /** Runs stty on the controlling terminal; its output. */
        private static String stty(String... args) throws IOException {
            List<String> command = new java.util.ArrayList<>(List.of("stty"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectInput(new java.io.File("/dev/tty")).redirectErrorStream(true).start();
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) throw new IOException("stty " + String.join(" ", args) + " failed: " + out.trim());
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Bytes decoded as UTF-8 into a writer, a character split across writes kept until its end comes. */
    static final class DecodingStream extends OutputStream {
        private final Writer writer;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private final ByteArrayOutputStream carry = new ByteArrayOutputStream();

        DecodingStream(Writer writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            carry.write(b, off, len);
            ByteBuffer in = ByteBuffer.wrap(carry.toByteArray());
            CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, out, false);
            writer.write(out.flip().toString());
            carry.reset();
            carry.write(in.array(), in.position(), in.remaining());
        }

        @Override
        public void flush() throws IOException {
            writer.flush();
        }
    }
}
