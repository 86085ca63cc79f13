package dev.grid.appliance;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A node's data directory rebuilt from another node (a fresh base backup, a full copy) without
 * throwing the old data away first: the copy is made beside it and replaces it only once whole.
 * A copy that fails (its source lost mid-copy, replication refused) leaves the node with the data
 * it had; emptying it first would let the keeper's next round, or a failover that promotes the
 * node meanwhile, start an empty datastore where a copy of every acknowledged write was. Patroni
 * moves the old directory aside for the same reason.
 *
 * <p>The directories, all on the node's volume, so that each step is one rename:
 * {@code DATA.rebuild} (a copy being made), {@code DATA.rebuilt} (a whole copy, not yet in place),
 * {@code DATA.replaced} (the old data, until the copy is in place). {@link #recover} finishes or
 * undoes what a keeper stopped midway left, so a node is never without whole data. The volume
 * must hold the data twice while a copy is made.
 */
public final class StagedRebuild {
    private final Path data;
    private final Path copying;
    private final Path copied;
    private final Path replaced;

    public StagedRebuild(Path data) {
        this.data = data;
        this.copying = data.resolveSibling(data.getFileName() + ".rebuild");
        this.copied = data.resolveSibling(data.getFileName() + ".rebuilt");
        this.replaced = data.resolveSibling(data.getFileName() + ".replaced");
    }

    /** Where the copy is to be made: empty (a leftover of an earlier attempt is removed), and not yet there. */
    public Path begin() throws IOException {
        recover();
        return copying;
    }

    /** The copy at {@link #begin}'s path is whole: it replaces the data. */
    public void commit() throws IOException {
        if (!Files.isDirectory(copying)) throw new IOException("no copy was made in " + copying);
        Files.move(copying, copied, StandardCopyOption.ATOMIC_MOVE);
        if (Files.exists(data)) Files.move(data, replaced, StandardCopyOption.ATOMIC_MOVE);
        Files.move(copied, data, StandardCopyOption.ATOMIC_MOVE);
        delete(replaced);
    }

    /**
     * Leaves the data directory whole after a stop at any point: a whole copy whose old data was
     * already moved aside goes in place; otherwise the old data stays (or comes back) and a copy
     * not in place is dropped.
     */
    public void recover() throws IOException {
        if (!Files.exists(data) && Files.isDirectory(copied)) Files.move(copied, data, StandardCopyOption.ATOMIC_MOVE);
        if (!Files.exists(data) && Files.isDirectory(replaced)) Files.move(replaced, data, StandardCopyOption.ATOMIC_MOVE);
        delete(copying);
        delete(copied);
        delete(replaced);
    }

    /** Removes {@code dir} and everything under it, without following links out of it; nothing if it is not there. */
    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
