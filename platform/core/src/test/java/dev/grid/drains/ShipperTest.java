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

    @Test
    void aDrainThatIsDownCostsTheSenderNothingKeepsItsNewestLinesAndCountsTheRest() throws Exception {
        int port = Ports.free();
        try (Shipper s = new Shipper("d.test", DrainUrl.parse("syslog://127.0.0.1:" + port), SSLContext.getDefault(), 100)) {
            long start = System.nanoTime();
            for (int i = 0; i < 1000; i++) s.offer(line(i));
            long micros = (System.nanoTime() - start) / 1000;
            assertTrue(micros < 1_000_000, "1,000 offers to a dead drain returned at once: " + micros + " µs");
            assertEquals(100, s.buffered());
            assertEquals(900, s.dropped());
            try (ServerSocket back = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
                List<String> got = receive(back);
                Eventually.await("the buffered lines sent once the receiver is back", Duration.ofSeconds(10), () -> got.size(), n -> n == 100);
                assertEquals("line 900", got.get(0), "the newest 100, oldest first");
                assertEquals("line 999", got.get(99));
                assertEquals(100, s.sent());
                assertEquals(0, s.buffered());
                s.offer(line(1000));
                Eventually.await("a line offered now", Duration.ofSeconds(5), () -> got.size(), n -> n == 101);
            }
        }
    }
}
