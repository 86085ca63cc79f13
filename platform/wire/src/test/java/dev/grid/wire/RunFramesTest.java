package dev.grid.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.wire.RunFrames.Frame;
import dev.grid.wire.RunFrames.Type;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class RunFramesTest {
    @Test
    void framesRoundTripOnAConnectionAndAsMessages() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunFrames.write(out, RunFrames.text(Type.IN, "echo hi\n"));
        RunFrames.write(out, RunFrames.resize(50, 132));
        RunFrames.write(out, new Frame(Type.EOF, new byte[0]));
        RunFrames.write(out, RunFrames.exit(-3));
        var in = new ByteArrayInputStream(out.toByteArray());
        assertEquals("echo hi\n", RunFrames.read(in).text());
        assertArrayEquals(new int[] {50, 132}, RunFrames.read(in).size());
        assertEquals(Type.EOF, RunFrames.read(in).type());
        assertEquals(-3, RunFrames.read(in).exitCode());
        assertNull(RunFrames.read(in), "a clean end between frames");

        Frame f = RunFrames.decode(ByteBuffer.wrap(RunFrames.encode(RunFrames.text(Type.OUT, "héllo"))));
        assertEquals(Type.OUT, f.type());
        assertEquals("héllo", f.text());
    }

    @Test
    void aHostilePeersFramesAreRefused() {
        // An unknown type, a length past the limit (or negative), a message whose length lies, a cut frame.
        assertThrows(IOException.class, () -> RunFrames.read(new ByteArrayInputStream(new byte[] {99, 0, 0, 0, 0})));
        byte[] huge = ByteBuffer.allocate(5).put((byte) Type.IN.ordinal()).putInt(RunFrames.MAX_PAYLOAD + 1).array();
        var e = assertThrows(IOException.class, () -> RunFrames.read(new ByteArrayInputStream(huge)));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());
        byte[] negative = ByteBuffer.allocate(5).put((byte) Type.IN.ordinal()).putInt(-1).array();
        assertThrows(IOException.class, () -> RunFrames.read(new ByteArrayInputStream(negative)));
        byte[] lying = ByteBuffer.allocate(7).put((byte) Type.IN.ordinal()).putInt(5).put((byte) 1).put((byte) 2).array();
        assertThrows(IOException.class, () -> RunFrames.decode(ByteBuffer.wrap(lying)));
        assertThrows(IOException.class, () -> RunFrames.read(new ByteArrayInputStream(lying)), "cut inside a frame");
        assertThrows(IOException.class, () -> RunFrames.decode(ByteBuffer.wrap(new byte[] {1, 0})));
        assertThrows(IllegalArgumentException.class, () -> RunFrames.resize(0, 80));
        assertThrows(IllegalStateException.class, () -> RunFrames.text(Type.OUT, "x").exitCode());
    }
}
