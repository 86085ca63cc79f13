package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.LogTimes;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterators;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * An app's log from several sources (its jobs' output on their hosts, its routers' access lines),
 * as one stream of lines that each begin with their time ({@link LogTimes}). Without follow, every
 * source's lines are read and merged by time, and the last {@code tail} kept, as Heroku's
 * {@code logs -n} does. With follow, each source is read on a thread of its own: what arrives in
 * the first {@link #SETTLE_MS} ms (mostly the sources' recent lines) is merged by time, and every
 * line after it goes out as it comes.
 */
final class LogStreams {
    /** Which sources: an app's own output, its router lines, or both (null). */
    enum Source {
        APP, ROUTER;

        static Source parse(String s) {
            if (s == null || s.isBlank()) return null;
            return switch (s) {
                case "app" -> APP;
                case "router" -> ROUTER;
                default -> throw GridException.invalid("invalid source '" + s + "': use app (the app's own output) or router (the router's access lines)");
            };
        }

        static boolean includes(Source chosen, Source s) {
            return chosen == null || chosen == s;
        }
    }

    static final long SETTLE_MS = 300;
    private static final Object END = new Object();

    private LogStreams() {}

    /**
     * Lines in time order: stable, so that a source's lines with one time keep their order; a line
     * without a time (a note that a host is down, say) sorts first.
     */
    static List<String> merge(List<List<String>> sources, int tail) {
        List<String> all = new ArrayList<>();
        for (List<String> s : sources) all.addAll(s);
        all.sort(Comparator.comparing(LogStreams::timeOf));
        return tail >= 0 && all.size() > tail ? List.copyOf(all.subList(all.size() - tail, all.size())) : all;
    }

    private static String timeOf(String line) {
        return LogTimes.timed(line) ? line.substring(0, LogTimes.WIDTH) : "";
    }

    /** Every source's lines, read to their end and merged by time. */
    static Stream<String> read(List<Supplier<Stream<String>>> sources, int tail) {
        List<List<String>> read = new ArrayList<>();
        for (Supplier<Stream<String>> s : sources) {
            try (Stream<String> lines = s.get()) {
                read.add(lines.toList());
            }
        }
        return merge(read, tail).stream();
    }

    /** The sources' lines as they come (the first of them merged, the last {@code tail} of those kept), until the stream is closed. */
    static Stream<String> follow(List<Supplier<Stream<String>>> sources, int tail) {
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(10_000);
        List<Closeable> open = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (Supplier<Stream<String>> source : sources) {
            Thread t = new Thread(() -> {
                try (Stream<String> lines = source.get()) {
                    synchronized (open) {
                        open.add(lines::close);
                    }
                    Iterator<String> it = lines.iterator();
                    while (it.hasNext()) queue.put(it.next());
                } catch (InterruptedException e) {
                    // closed
                } catch (RuntimeException e) {
                    queue.offer("(a log source ended: " + e.getMessage() + ")");
                } finally {
                    queue.offer(END);
                }
            }, "logs-follow");
            t.setDaemon(true);
            readers.add(t);
            t.start();
        }
        Iterator<String> lines = new Following(queue, sources.size(), tail);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(lines, 0), false).onClose(() -> {
            readers.forEach(Thread::interrupt);
            synchronized (open) {
                for (Closeable c : open) {
                    try {
                        c.close();
                    } catch (IOException | RuntimeException ignored) {
                        // gone already
                    }
                }
            }
        });
    }

    /** The lines of the queue that readers fill: those of the first {@link #SETTLE_MS} ms merged by time, then as they come, until every source ended. */
    private static final class Following implements Iterator<String> {
        private final LinkedBlockingQueue<Object> queue;
        private final int sources;
        private final List<String> first = new ArrayList<>();
        private int ended;
        private String next;

        Following(LinkedBlockingQueue<Object> queue, int sources, int tail) {
            this.queue = queue;
            this.sources = sources;
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
            try {
                long left;
                while (ended < sources && (left = until - System.nanoTime()) > 0) {
                    Object o = queue.poll(left, TimeUnit.NANOSECONDS);
                    if (o == null) break;
                    if (o == END) ended++;
                    else first.add((String) o);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<String> merged = merge(List.of(first), tail);
            first.clear();
            first.addAll(merged);
        }

        @Override
        public boolean hasNext() {
            if (next != null) return true;
            if (!first.isEmpty()) {
                next = first.remove(0);
                return true;
            }
            try {
                while (ended < sources) {
                    Object o = queue.poll(1, TimeUnit.SECONDS);
                    if (o == null) continue;
                    if (o == END) {
                        ended++;
                        continue;
                    }
                    next = (String) o;
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        @Override
        public String next() {
            if (!hasNext()) throw new NoSuchElementException();
            String n = next;
            next = null;
            return n;
        }
    }
}
