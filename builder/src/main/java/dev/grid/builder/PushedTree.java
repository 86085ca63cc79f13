package dev.grid.builder;

import dev.grid.host.Tars;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A pushed commit's tree, read from git's objects and never from a checkout on the host: a
 * file the builder reads (the Procfile, package.json, the Dockerfile) is a blob of the commit,
 * and a symbolic link is an entry with a target, never followed. The tree reaches the build
 * as a tar stream that Docker unpacks inside the build's container.
 */
public final class PushedTree {
    /** One entry: a file (mode 0644 or 0755), a symbolic link or a directory, at a path relative to the tree's root. */
    public record Entry(String path, Kind kind, ObjectId id) {}

    public enum Kind { FILE, EXECUTABLE, LINK, DIRECTORY }

    private final Repository repo;
    private final List<Entry> entries;

    private PushedTree(Repository repo, List<Entry> entries) {
        this.repo = repo;
        this.entries = List.copyOf(entries);
    }

    public static PushedTree of(Repository repo, ObjectId commit) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            tree.addTree(walk.parseCommit(commit).getTree());
            tree.setRecursive(false);
            while (tree.next()) {
                FileMode mode = tree.getFileMode(0);
                String path = tree.getPathString();
                if (mode == FileMode.TREE) {
                    entries.add(new Entry(path, Kind.DIRECTORY, tree.getObjectId(0)));
                    tree.enterSubtree();
                } else if (mode == FileMode.SYMLINK) {
                    entries.add(new Entry(path, Kind.LINK, tree.getObjectId(0)));
                } else if (mode == FileMode.EXECUTABLE_FILE) {
                    entries.add(new Entry(path, Kind.EXECUTABLE, tree.getObjectId(0)));
                } else if (mode == FileMode.REGULAR_FILE) {
                    entries.add(new Entry(path, Kind.FILE, tree.getObjectId(0)));
                } // a submodule (gitlink) has no content here
            }
        }
        return new PushedTree(repo, entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> entry(String path) {
        return entries.stream().filter(e -> e.path().equals(path)).findFirst();
    }

    public boolean has(String path) {
        return entry(path).isPresent();
    }

    /**
     * The text of a file the builder reads itself, or empty if the tree has none. A symbolic
     * link, a directory or a file over {@code maxBytes} there is refused with the reason.
     */
    public Optional<String> text(String path, int maxBytes) throws IOException {
        Optional<Entry> e = entry(path);
        if (e.isEmpty()) return Optional.empty();
        switch (e.get().kind()) {
            case LINK -> throw new BuildFailure(path + " is a symbolic link: commit the file itself");
            case DIRECTORY -> throw new BuildFailure(path + " is a directory, not a file");
            default -> { }
        }
        var loader = repo.open(e.get().id());
        if (loader.getSize() > maxBytes) throw new BuildFailure(path + " is larger than " + (maxBytes >> 10) + " KiB");
        return Optional.of(new String(loader.getBytes(), StandardCharsets.UTF_8));
    }

    /**
     * Writes the tree into the empty directory {@code dir} as files owned by {@code uid}, for a
     * build's container to mount. Only written, never read back: a link is made as a link and
     * followed by no one here, every file is new (never written through an existing path), and
     * every entry's parent must be a directory this wrote.
     */
    public void export(java.nio.file.Path dir, int uid) throws IOException {
        for (Entry e : entries) {
            java.nio.file.Path target = dir.resolve(e.path()).normalize();
            java.nio.file.Path parent = target.getParent();
            if (!target.startsWith(dir) || target.equals(dir) || parent == null
                    || !java.nio.file.Files.isDirectory(parent, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new BuildFailure("the pushed tree has an entry that cannot be written: " + e.path());
            }
            switch (e.kind()) {
                case DIRECTORY -> java.nio.file.Files.createDirectory(target);
                case LINK -> java.nio.file.Files.createSymbolicLink(target,
                        java.nio.file.Path.of(new String(repo.open(e.id()).getBytes(), StandardCharsets.UTF_8)));
                default -> {
                    try (InputStream in = repo.open(e.id()).openStream();
                         var out = java.nio.file.Files.newOutputStream(target, java.nio.file.StandardOpenOption.CREATE_NEW)) {
                        in.transferTo(out);
                    }
                    java.nio.file.Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString(
                            e.kind() == Kind.EXECUTABLE ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            BuildOutput.own(target, uid);
        }
    }


    /** Adds one entry to a tar stream under the name {@code name}. */
    public void put(TarArchiveOutputStream tar, Entry e, String name) throws IOException {
        TarArchiveEntry t;
        switch (e.kind()) {
            case DIRECTORY -> {
                t = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
                t.setMode(040755);
                tar.putArchiveEntry(t);
            }
            case LINK -> {
                t = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                t.setLinkName(new String(repo.open(e.id()).getBytes(), StandardCharsets.UTF_8));
                t.setMode(0120777);
                tar.putArchiveEntry(t);
            }
            default -> {
                var loader = repo.open(e.id());
                t = new TarArchiveEntry(name);
                t.setMode(e.kind() == Kind.EXECUTABLE ? 0100755 : 0100644);
                t.setSize(loader.getSize());
                tar.putArchiveEntry(t);
                try (InputStream in = loader.openStream()) {
                    in.transferTo(tar);
                }
            }
        }
        tar.closeArchiveEntry();
    }
}
