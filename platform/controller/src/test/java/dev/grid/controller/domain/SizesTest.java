package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.GridException;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SizesTest {
    static Release release(Map<String, ProcessType> processes) {
        return new Release("a-v3", "a", 3, "img", processes, Map.of(), Instant.EPOCH, "", null);
    }

    @Test
    void aNewReleaseKeepsTheSizesItDoesNotGive() {
        Release current = release(Map.of("web", ProcessType.of("old").withMemory(512), "worker", ProcessType.of("w").withMemory(1024)));
        Map<String, ProcessType> next = Map.of("web", ProcessType.of("new"), "worker", ProcessType.of("w2").withMemory(300), "clock", ProcessType.of("c"));
        Map<String, ProcessType> carried = Sizes.carried(next, Set.of("web", "clock"), Optional.of(current));
        assertEquals(512, carried.get("web").memoryMb(), "web had 512 MB: it keeps them");
        assertEquals("new", carried.get("web").command(), "only the size is carried");
        assertEquals(300, carried.get("worker").memoryMb(), "a size given wins");
        assertEquals(ProcessType.DEFAULT_MEMORY_MB, carried.get("clock").memoryMb(), "a new type gets the default");
        assertEquals(ProcessType.DEFAULT_MEMORY_MB, Sizes.carried(next, Set.of("web"), Optional.empty()).get("web").memoryMb());
    }

    @Test
    void aResizeSetsTheNamedTypesAndRefusesWhatIsWrong() {
        Release current = release(Map.of("web", ProcessType.of("w"), "worker", ProcessType.of("k")));
        Map<String, ProcessType> r = Sizes.resized(current, Map.of("web", 128L));
        assertEquals(128, r.get("web").memoryMb());
        assertEquals(ProcessType.DEFAULT_MEMORY_MB, r.get("worker").memoryMb());
        assertEquals("Resize web to 128 MB, worker to 2,048 MB", Sizes.description(Map.of("worker", 2048L, "web", 128L)));
        Map<String, Long> none = new HashMap<>();
        none.put("web", null);
        for (var bad : Map.of(Map.of("clock", 128L), "unknown process type 'clock': release v3 has web, worker",
                Map.of("web", 31L), "cannot resize web to 31 MB: give 32 to 1,048,576 MB",
                Map.of("web", (long) (1 << 20) + 1), "give 32 to", none, "cannot resize web to null MB", Map.<String, Long>of(), "say what to resize").entrySet()) {
            GridException e = assertThrows(GridException.class, () -> Sizes.resized(current, bad.getKey()));
            assertTrue(e.getMessage().contains(bad.getValue()), e.getMessage());
        }
    }
}
