package dev.grid.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildOutputTest {
    @TempDir
    Path dir;

    @Test
    void whatABuildLeavesIsReadOnlyAsARegularFile() throws Exception {
        Path secret = Files.writeString(dir.resolve("host-secret"), "token");
        Path out = Files.createDirectory(dir.resolve("out"));
        Files.createSymbolicLink(out.resolve("release.yml"), secret);
        BuildFailure link = assertThrows(BuildFailure.class, () -> BuildOutput.regularFile(out, "release.yml", 1 << 20));
        assertEquals("the build left release.yml as a symbolic link: it was not read", link.getMessage());

        new ProcessBuilder("mkfifo", out.resolve("slug.tgz").toString()).start().waitFor();
        BuildFailure fifo = assertThrows(BuildFailure.class, () -> BuildOutput.regularFile(out, "slug.tgz", 1 << 20), "a fifo would block the reader");
        assertTrue(fifo.getMessage().contains("something other than a file"), fifo.getMessage());

        Files.writeString(out.resolve("big"), "0123456789");
        assertThrows(BuildFailure.class, () -> BuildOutput.regularFile(out, "big", 4));
        assertEquals(Optional.of(out.resolve("big")), BuildOutput.regularFile(out, "big", 10));
        assertEquals(Optional.empty(), BuildOutput.regularFile(out, "missing", 10));
    }

    @Test
    void aFileForTheBuildIsNeverWrittenThroughAnExistingLink() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "kept");
        Path env = Files.createDirectory(dir.resolve("env"));
        Files.createSymbolicLink(env.resolve("KEY"), target);
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> BuildOutput.ownedFile(env.resolve("KEY"), "overwritten", 0));
        assertEquals("kept", Files.readString(target));
    }
}
