package dev.grid.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StackImageTest {
    /**
     * The machine builds the tag setup-host.sh names, and Grid runs the tag StackImage names: when
     * they drift, builds and tests ask for an image no fresh machine has (a test that tagged
     * bookworm-3 passed only where an old build had left that image behind).
     */
    @Test
    void setupHostBuildsTheTagGridRuns() throws Exception {
        Path script = Path.of("../../scripts/setup-host.sh");
        assertTrue(Files.exists(script), "run from platform/core: " + script.toAbsolutePath());
        Matcher m = Pattern.compile("STACK_IMAGE=\"\\$\\{GRID_STACK_IMAGE:-([^}]+)}\"").matcher(Files.readString(script));
        assertTrue(m.find(), "setup-host.sh names its default stack image as STACK_IMAGE=\"${GRID_STACK_IMAGE:-...}\"");
        assertEquals(StackImage.DEFAULT, m.group(1));
    }

    @Test
    void theEnvironmentChoosesAnotherAndBlankIsTheDefault() {
        assertEquals("mine:1", StackImage.of(Map.of("GRID_STACK_IMAGE", "mine:1")));
        assertEquals(StackImage.DEFAULT, StackImage.of(Map.of("GRID_STACK_IMAGE", " ")));
        assertEquals(StackImage.DEFAULT, StackImage.of(Map.of()));
    }
}
