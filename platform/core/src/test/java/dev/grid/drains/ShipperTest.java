package dev.grid.drains;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.testing.Eventually;
import dev.grid.testing.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class ShipperTest {
    /** Lines as a receiver reads them, one per line (the test's frames end with a newline). */
    private static List<String> receive(ServerSocket server) {
        List<String> got = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try (Socket s = server.accept(); BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) got.add(line);
            } catch (IOException e) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
        return got;
    }

    private static byte[] line(int i) {
        return ("line " + i + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** What the receiver got is what the shipper counts as sent, each once, in the order offered. */
    private static void assertSentInOrder(Shipper s, List<String> got) {
        assertEquals(s.sent(), got.size(), "the lines counted as sent are the lines received");
        for (int i = 1; i < got.size(); i++) {
            int before = Integer.parseInt(got.get(i - 1).substring(5)), now = Integer.parseInt(got.get(i).substring(5));
            assertTrue(now > before, "each line once and in order: " + got.get(i - 1) + " then " + got.get(i));
        }
    }

    @Test
    void aDrainThatIsDownCostsTheSenderNothingKeepsItsNewestLinesAndCountsTheRest() throws Exception {
        int port = Ports.free();
        try (Shipper s = new Shipper("d.test", DrainUrl.parse("syslog://127.0.0.1:" + port), SSLContext.getDefault(), 100)) {
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) s.offer(line(i));
            long micros = (System.nanoTime() - start) / 1000;
            assertTrue(micros < 1_000_000, "1,000 offers to a dead drain returned at once: " + micros + " µs");
            // The sender may hold one batch it took while the lines came; nothing else is kept.
            assertTrue(s.buffered() <= 100 + Shipper.BATCH, "at most the buffer and one batch: " + s.buffered());
            assertEquals(1000, s.buffered() + s.dropped(), "every line is buffered or counted as dropped");
            try (ServerSocket back = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
                List<String> got = receive(back);
                Eventually.await("every line sent or dropped once the receiver is back", Duration.ofSeconds(10), () -> s.sent() + s.dropped(), n -> n == 1000);
                assertEquals(0, s.buffered());
                Eventually.await("the newest line received", Duration.ofSeconds(5), () -> got.size(), n -> n == s.sent());
                assertSentInOrder(s, got);
                assertTrue(got.size() >= 100, "at least the newest 100: " + got.size());
                assertEquals("line 900", got.get(got.size() - 100), "the newest 100, oldest first");
                assertEquals("line 999", got.get(got.size() - 1));
                s.offer(line(1000));
                Eventually.await("a line offered now", Duration.ofSeconds(5), () -> got.size(), n -> n == s.sent() && got.get(got.size() - 1).equals("line 1000"));
            }
        }
    }
}
