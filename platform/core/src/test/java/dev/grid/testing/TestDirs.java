package dev.grid.testing;

import java.io.IOException;
import java.nio.file.Path;

/** Directories tests make and must not leave in /tmp. */
public final class TestDirs {
    private TestDirs() {}

    /**
     * Deletes {@code dir} and all in it, whoever owns its files (containers write some as other
     * users), without crossing into a file system mounted inside it. A failure is reported, not thrown:
     * it must not hide the test's own result.
     */
    public static void delete(Path dir) {
        try {
            new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException | InterruptedException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }
}
