package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.GridException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LogStreamsTest {
    private static final String T1 = "2026-12-07T01:00:00.000001Z";
    private static final String T2 = "2026-12-07T01:00:00.000002Z";
    private static final String T3 = "2026-12-07T01:00:00.000003Z";

    @Test
    void linesOfSeveralSourcesAreMergedByTimeAndTheLastNKept() {
        List<String> web = List.of(T1 + " web.a: one", T3 + " web.a: three");
        List<String> router = List.of(T2 + " router: at=info two", T3 + " router: at=info three");
        assertEquals(List.of(T1 + " web.a: one", T2 + " router: at=info two", T3 + " web.a: three", T3 + " router: at=info three"),
                LogStreams.merge(List.of(web, router), -1));
        assertEquals(List.of(T3 + " web.a: three", T3 + " router: at=info three"), LogStreams.merge(List.of(web, router), 2));
        assertEquals(List.of(), LogStreams.merge(List.of(web, router), 0));
    }

    @Test
    void aLineWithoutATimeComesFirst() {
        assertEquals(List.of("(host h1 is down; its logs are unavailable)", T1 + " web.a: one"),
                LogStreams.merge(List.of(List.of(T1 + " web.a: one"), List.of("(host h1 is down; its logs are unavailable)")), -1));
    }

    @Test
    void anUnknownSourceIsRefusedWithTheChoices() {
        GridException e = assertThrows(GridException.class, () -> LogStreams.Source.parse("dyno"));
        assertTrue(e.getMessage().contains("use app (the app's own output) or router"), e.getMessage());
        assertEquals(null, LogStreams.Source.parse(null));
        assertTrue(LogStreams.Source.includes(null, LogStreams.Source.ROUTER));
        assertTrue(!LogStreams.Source.includes(LogStreams.Source.APP, LogStreams.Source.ROUTER));
    }

    @Test
    void followingGivesTheFirstLinesByTimeThenEachAsItComesAndClosesItsSources() throws Exception {
        CountDownLatch later = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(2);
        List<Supplier<Stream<String>>> sources = List.of(
                () -> Stream.of(T3 + " web.a: three").onClose(closed::countDown),
                () -> Stream.concat(Stream.of(T1 + " router: one"), Stream.generate(() -> {
                    try {
                        later.await();
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException("closed");
                    }
                    return T2 + " router: live";
                })).onClose(closed::countDown));
        try (Stream<String> s = LogStreams.follow(sources, -1)) {
            Iterator<String> it = s.iterator();
            assertEquals(T1 + " router: one", it.next(), "the first lines are merged by time");
            assertEquals(T3 + " web.a: three", it.next());
            later.countDown();
            assertEquals(T2 + " router: live", it.next(), "then lines as they come");
        }
        assertTrue(closed.await(5, TimeUnit.SECONDS), "closing the stream closes every source");
    }

    @Test
    void readingEverySourceToItsEndMergesThem() {
        List<Supplier<Stream<String>>> sources = new ArrayList<>();
        sources.add(() -> Stream.of(T2 + " b"));
        sources.add(() -> Stream.of(T1 + " a", T3 + " c"));
        assertEquals(List.of(T1 + " a", T2 + " b", T3 + " c"), LogStreams.read(sources, -1).toList());
    }
}
