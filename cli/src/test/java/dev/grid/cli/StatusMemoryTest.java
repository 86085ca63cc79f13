package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StatusMemoryTest {
    @Test
    void anOvercommittedHostShowsWhatJobsMayReserveAndItsOwnMemory() {
        assertEquals("512 / 7,680 / 8,192 MB", Lifecycle.Status.memory(512, 7680, 8192, 8192, 1));
        assertEquals("512 / 11,776 / 12,288 MB (8,192 MB x 1.5 overcommit)", Lifecycle.Status.memory(512, 11776, 12288, 8192, 1.5));
        assertEquals("0 / 16,384 / 16,384 MB (8,192 MB x 2 overcommit)", Lifecycle.Status.memory(0, 16384, 16384, 8192, 2.0));
    }
}
