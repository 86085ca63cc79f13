package dev.grid.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Docker's multiplexed attach stream taken apart, however its reads cut it: {@link DockerAttach.Demux}. */
class DockerAttachTest {
    private static byte[] chunk(int stream, String text) {
        byte[] payload = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + payload.length).put((byte) stream).put(new byte[3]).putInt(payload.length).put(payload).array();
    }

    @Test
    void chunksOfBothStreamsComeApartWhereverTheReadsCutThem() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.write(chunk(1, "out one\n"));
        wire.write(chunk(2, "err one\n"));
        wire.write(chunk(1, "out two, with héllo\n"));
        byte[] all = wire.toByteArray();
        for (int cut = 1; cut <= all.length; cut++) { // every read size, from one byte at a time to all at once
            StringBuilder out = new StringBuilder();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
            DockerAttach.Demux demux = new DockerAttach.Demux();
            for (int at = 0; at < all.length; at += cut) {
                ByteBuffer read = ByteBuffer.wrap(java.util.Arrays.copyOfRange(all, at, Math.min(all.length, at + cut)));
                demux.feed(read, (stderr, bytes, length) -> (stderr ? err : outBytes).write(bytes, 0, length));
            }
            out.append(outBytes.toString(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("out one\nout two, with héllo\n", out.toString(), "reads of " + cut);
            assertEquals("err one\n", err.toString(java.nio.charset.StandardCharsets.UTF_8), "reads of " + cut);
        }
    }

    @Test
    void aStreamDockerDoesNotSendIsRefused() {
        assertThrows(IOException.class, () -> new DockerAttach.Demux().feed(ByteBuffer.wrap(chunk(7, "x")), (e, b, n) -> {}));
    }
}
