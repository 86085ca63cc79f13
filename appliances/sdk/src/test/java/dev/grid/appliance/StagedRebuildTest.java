package dev.grid.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedRebuildTest {
    @TempDir
    Path volume;

    Path data() {
        return volume.resolve("pg");
    }

    void write(Path dir, String what) throws IOException {
        Files.createDirectories(dir.resolve("base"));
        Files.writeString(dir.resolve("base/rows"), what);
    }

    String read() throws IOException {
        return Files.readString(data().resolve("base/rows"));
    }

    List<String> left() throws IOException {
        try (Stream<Path> s = Files.list(volume)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aCopyThatFailsLeavesTheOldDataAsItWas() throws IOException {
        write(data(), "every acknowledged write");
        StagedRebuild rebuild = new StagedRebuild(data());
        Path copy = rebuild.begin();
        write(copy, "half a cop"); // the source went away mid-copy: no commit
        assertEquals("every acknowledged write", read());
        rebuild.begin(); // the next attempt starts clean
        assertEquals(List.of("pg"), left());
        assertEquals("every acknowledged write", read());
    }

    @Test
    void aWholeCopyReplacesTheDataAndNothingElseStays() throws IOException {
        write(data(), "old");
        StagedRebuild rebuild = new StagedRebuild(data());
        write(rebuild.begin(), "new");
        rebuild.commit();
        assertEquals("new", read());
        assertEquals(List.of("pg"), left());
    }

    @Test
    void aNodeWithNoDataYetGetsTheCopy() throws IOException {
        StagedRebuild rebuild = new StagedRebuild(data());
        write(rebuild.begin(), "first copy");
        rebuild.commit();
        assertEquals("first copy", read());
    }

    @Test
    void aCommitWithNoCopyIsRefusedAndChangesNothing() throws IOException {
        write(data(), "old");
        StagedRebuild rebuild = new StagedRebuild(data());
        rebuild.begin();
        assertThrows(IOException.class, rebuild::commit);
        assertEquals("old", read());
    }

    /** A keeper stopped at each point of a commit: recovery leaves whole data, the copy's or the old. */
    @Test
    void recoveryAfterAStopAtAnyStepLeavesWholeData() throws IOException {
        // Copied whole, the old data not yet moved aside: the old stays.
        write(data(), "old");
        write(volume.resolve("pg.rebuilt"), "new");
        new StagedRebuild(data()).recover();
        assertEquals("old", read());
        assertEquals(List.of("pg"), left());

        // The old data moved aside, the copy not yet in place: the copy goes in.
        Files.move(data(), volume.resolve("pg.replaced"));
        write(volume.resolve("pg.rebuilt"), "new");
        new StagedRebuild(data()).recover();
        assertEquals("new", read());
        assertEquals(List.of("pg"), left());

        // The old data moved aside and the copy gone (its move failed): the old comes back.
        Files.move(data(), volume.resolve("pg.replaced"));
        new StagedRebuild(data()).recover();
        assertEquals("new", read());
        assertEquals(List.of("pg"), left());

        // In place, the old one half deleted: it goes.
        write(volume.resolve("pg.replaced"), "old");
        new StagedRebuild(data()).recover();
        assertEquals("new", read());
        assertEquals(List.of("pg"), left());
    }

    @Test
    void deletingNeverFollowsALinkOutOfTheCopy() throws IOException {
        Path outside = Files.createDirectories(volume.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "mine");
        Path copy = new StagedRebuild(data()).begin();
        Files.createDirectories(copy);
        Files.createSymbolicLink(copy.resolve("link"), outside);
        new StagedRebuild(data()).recover();
        assertFalse(Files.exists(copy));
        assertEquals("mine", Files.readString(outside.resolve("keep")));
    }
}
