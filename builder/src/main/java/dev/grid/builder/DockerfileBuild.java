package dev.grid.builder;

import dev.grid.builder.Dockerfile.Instruction;
import dev.grid.host.Docker;
import dev.grid.host.Tars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Builds a Dockerfile app into a local image without Docker's build API, whose RUN steps run as
 * root with every default capability (raw sockets among them) on host networking, and whose ADD
 * fetches URLs from the daemon itself. Here every step is a container Grid makes: RUN runs as the
 * app's UID with no capabilities, within the build's limits (the host firewall judges its
 * connections like an app's); COPY and ADD put files of the pushed tree (never a path on the
 * host) or of an earlier stage into a container; each step is committed as the next image.
 * FROM takes local images only, never another app's. USER is noted and not followed: the app's
 * processes run as the app's UID, as its build did.
 */
final class DockerfileBuild {
    private static final String APP_IMAGES = dev.grid.core.Retention.BUILT_IMAGES;
    private static final int MAX_DOCKERFILE = 256 << 10;

    record Image(String name, String command) {}

    private final Docker docker;
    private final BuildContainers containers;

    DockerfileBuild(Docker docker, BuildContainers containers) {
        this.docker = docker;
        this.containers = containers;
    }

    /** One stage's image and configuration as the steps change them. */
    private static final class Stage {
        String image;
        final Map<String, String> env = new LinkedHashMap<>();
        final Map<String, String> args = new LinkedHashMap<>();
        String workdir = "/";
        List<String> entrypoint;
        List<String> cmd;
    }

    /** Runs the Dockerfile of {@code tree}; returns the image, tagged grid-app/APP:..., and its command. */
    Image build(String app, String tag, int uid, PushedTree tree, Map<String, String> config, Path workDir, Consumer<String> out) throws IOException {
        return new Run(app, tag, uid, tree, workDir, out).build(config);
    }

    /** Another app's image holds that app's code: no build may start from it or copy out of it. */
    static void checkImage(String app, String ref, String where) {
        if (ref.equals("scratch")) throw new BuildFailure(where + ": FROM scratch has no shell for RUN steps: start from a local image");
        if (ref.startsWith(APP_IMAGES) && !ref.startsWith(APP_IMAGES + app + ":"))
            throw new BuildFailure(where + ": " + ref + " is another app's image");
        if (ref.startsWith("sha256:") || ref.matches("[0-9a-f]{12,64}"))
            throw new BuildFailure(where + ": name an image by its name, not by its id");
    }

    /** One build: its app, its UID, the images it made so far. */
    private final class Run {
        final String app;
        final String tag;
        final int uid;
        final PushedTree tree;
        final Path workDir;
        final Consumer<String> out;
        final Instant deadline = containers.deadline();
        final Map<String, Stage> stages = new HashMap<>();
        final List<String> made = new ArrayList<>();

        Run(String app, String tag, int uid, PushedTree tree, Path workDir, Consumer<String> out) {
            this.app = app;
            this.tag = tag;
            this.uid = uid;
            this.tree = tree;
            this.workDir = workDir;
            this.out = out;
        }

        Image build(Map<String, String> config) throws IOException {
            List<Instruction> steps = Dockerfile.parse(tree.text("Dockerfile", MAX_DOCKERFILE).orElseThrow());
            Map<String, String> globalArgs = new LinkedHashMap<>();
            Stage stage = null;
            boolean noted = false;
            try {
                int n = 0;
                for (Instruction step : steps) {
                    n++;
                    String where = "Dockerfile line " + step.line();
                    out.accept("Step " + n + "/" + steps.size() + " : " + step.keyword() + " " + step.args());
                    if (stage == null && !step.keyword().equals("FROM") && !step.keyword().equals("ARG"))
                        throw new BuildFailure(where + ": " + step.keyword() + " before the first FROM");
                    Map<String, String> vars = stage == null ? globalArgs : merged(stage);
                    switch (step.keyword()) {
                        case "FROM" -> {
                            List<String> w = Dockerfile.words(Dockerfile.expand(step.args(), globalArgs));
                            w = Dockerfile.flags(w).rest();
                            if (w.isEmpty()) throw new BuildFailure(where + ": FROM names no image");
                            stage = from(w.get(0), where);
                            if (w.size() == 3 && w.get(1).equalsIgnoreCase("AS")) stages.put(w.get(2).toLowerCase(), stage);
                            else if (w.size() != 1) throw new BuildFailure(where + ": use FROM IMAGE [AS NAME]");
                        }
                        case "ARG" -> {
                            for (var e : Dockerfile.pairs(step.args(), step.line()).entrySet()) {
                                boolean hasDefault = step.args().contains("=");
                                String value = config.containsKey(e.getKey()) ? config.get(e.getKey())
                                        : hasDefault ? Dockerfile.expand(e.getValue(), vars)
                                        : globalArgs.getOrDefault(e.getKey(), "");
                                (stage == null ? globalArgs : stage.args).put(e.getKey(), value);
                            }
                        }
                        case "ENV" -> {
                            // A value may name a variable an earlier pair of the same line set.
                            for (var e : Dockerfile.pairs(step.args(), step.line()).entrySet()) stage.env.put(e.getKey(), Dockerfile.expand(e.getValue(), merged(stage)));
                        }
                        case "RUN" -> run(stage, step, vars, where);
                        case "COPY", "ADD" -> copy(stage, step, vars, where);
                        case "WORKDIR" -> {
                            String dir = absolute(stage, Dockerfile.expand(step.args(), vars));
                            stage.workdir = dir;
                            if (!dir.equals("/")) commit(stage, Docker.Archive.of("/", Tars.directories(uid, dir.substring(1))));
                        }
                        case "CMD" -> stage.cmd = command(step.args());
                        case "ENTRYPOINT" -> {
                            stage.entrypoint = command(step.args());
                            stage.cmd = null; // a new entrypoint drops the command it inherited
                        }
                        case "USER" -> {
                            if (!noted) out.accept(" ---> USER is not followed: the build and the app run as the app's own user");
                            noted = true;
                        }
                        case "EXPOSE", "LABEL", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "MAINTAINER" ->
                                out.accept(" ---> " + step.keyword() + " has no effect on Grid");
                        default -> throw new BuildFailure(where + ": " + step.keyword() + " is not supported by Grid's builder");
                    }
                }
                return new Image(finish(stage), command(stage));
            } finally {
                // Intermediate images stay only as the final image's layers (Docker refuses to remove those).
                java.util.Collections.reverse(made);
                for (String id : made) {
                    try {
                        docker.removeImage(id);
                    } catch (RuntimeException layer) {
                        // a layer of the final image: it goes when that image goes
                    }
                }
            }
        }

        private static Map<String, String> merged(Stage s) {
            Map<String, String> m = new LinkedHashMap<>(s.args);
            m.putAll(s.env);
            return m;
        }

        private Stage from(String ref, String where) {
            Stage base = stages.get(ref.toLowerCase());
            Stage s = new Stage();
            if (base != null) {
                s.image = base.image;
                s.env.putAll(base.env);
                s.workdir = base.workdir;
                s.entrypoint = base.entrypoint;
                s.cmd = base.cmd;
                return s;
            }
            checkImage(app, ref, where);
            var config = docker.imageConfig(ref).orElseThrow(() -> new BuildFailure(where + ": no image " + ref
                    + " on this machine. Grid builds from local images only (nothing is pulled)"));
            s.image = ref;
            if (config.env() != null) {
                for (String kv : config.env()) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) s.env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            if (config.workingDir() != null && !config.workingDir().isBlank()) s.workdir = config.workingDir();
            if (config.entrypoint() != null) s.entrypoint = config.entrypoint();
            if (config.cmd() != null) s.cmd = config.cmd();
            return s;
        }

        private static List<String> command(String args) {
            return Dockerfile.execForm(args).orElse(List.of("/bin/sh", "-c", args));
        }

        /** The command the image runs, as one shell line (the release's web command). */
        static String command(Stage s) {
            List<String> parts = new ArrayList<>();
            if (s.entrypoint != null) parts.addAll(s.entrypoint);
            if (s.cmd != null) parts.addAll(s.cmd);
            if (parts.size() == 3 && parts.get(0).equals("/bin/sh") && parts.get(1).equals("-c")) return parts.get(2);
            if (s.entrypoint != null && s.entrypoint.size() == 3 && s.entrypoint.get(0).equals("/bin/sh") && s.entrypoint.get(1).equals("-c"))
                return s.entrypoint.get(2); // a shell-form entrypoint ignores the command
            return Dockerfile.shellLine(parts);
        }

        private static String absolute(Stage s, String path) {
            String p = path.startsWith("/") ? path : (s.workdir.endsWith("/") ? s.workdir : s.workdir + "/") + path;
            return Path.of(p).normalize().toString();
        }

        private void run(Stage stage, Instruction step, Map<String, String> vars, String where) {
            List<String> command = Dockerfile.execForm(step.args()).orElse(List.of("/bin/sh", "-c", step.args()));
            Docker.ContainerSpec spec = new Docker.ContainerSpec("grid-build-" + tag + "-l" + step.line(), stage.image, command, vars,
                    Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), List.of(), List.of(), stage.workdir);
            BuildContainers.Finished f = containers.run(spec, line -> out.accept(line), "RUN at " + where, deadline);
            try {
                if (f.exitCode() != 0) throw new BuildFailure("RUN at " + where + " failed (exit code " + f.exitCode() + ")");
                stage.image = docker.commit(f.id(), null, null);
                made.add(stage.image);
            } finally {
                docker.remove(f.id(), 0);
            }
        }

        /** COPY and ADD: files of the pushed tree, or of an earlier stage's (or a local) image, into the stage's image. */
        private void copy(Stage stage, Instruction step, Map<String, String> vars, String where) throws IOException {
            List<String> words = Dockerfile.execForm(step.args()).orElseGet(() -> Dockerfile.words(Dockerfile.expand(step.args(), vars)));
            Dockerfile.Flagged f = Dockerfile.flags(words);
            if (f.rest().size() < 2) throw new BuildFailure(where + ": " + step.keyword() + " needs a source and a destination");
            List<String> sources = f.rest().subList(0, f.rest().size() - 1);
            String rawDest = f.rest().get(f.rest().size() - 1);
            String dest = absolute(stage, rawDest);
            boolean destIsDir = rawDest.endsWith("/") || sources.size() > 1 || dest.equals("/");
            if (step.keyword().equals("ADD")) {
                for (String s : sources) {
                    if (s.contains("://")) throw new BuildFailure(where + ": ADD of a URL is not supported: fetch it with RUN curl, which runs as the app");
                    if (s.matches(".*\\.(tar|tar\\.gz|tgz|tar\\.bz2|tar\\.xz)$"))
                        throw new BuildFailure(where + ": ADD does not unpack archives here: COPY it and unpack it with RUN tar");
                }
            }
            Path tarFile = Files.createTempFile(workDir, "copy", ".tar");
            try {
                try (OutputStream o = Files.newOutputStream(tarFile); TarArchiveOutputStream tar = Tars.writer(o, uid)) {
                    if (!dest.equals("/") && (destIsDir || sources.size() == 1)) {
                        // The destination directory is the app's, so its RUN steps can write there.
                        String dir = destIsDir ? dest : parent(dest);
                        if (!dir.equals("/")) Tars.putDirectory(tar, dir.substring(1));
                    }
                    String from = f.flags().get("from");
                    if (from == null) {
                        for (String s : sources) fromTree(tree, s, dest, destIsDir, tar, where);
                    } else {
                        Stage source = stages.get(from.toLowerCase());
                        String image = source != null ? source.image : from;
                        if (source == null) {
                            checkImage(app, from, where);
                            if (!docker.hasImage(from)) throw new BuildFailure(where + ": no image or stage named " + from);
                        }
                        for (String s : sources) fromImage(image, source == null ? "/" : source.workdir, s, dest, destIsDir, tar, where);
                    }
                }
                commit(stage, Docker.Archive.of("/", tarFile));
            } finally {
                Files.deleteIfExists(tarFile);
            }
        }

        private static String parent(String path) {
            Path p = Path.of(path).getParent();
            return p == null ? "/" : p.toString();
        }


        private static void fromTree(PushedTree tree, String source, String dest, boolean destIsDir, TarArchiveOutputStream tar, String where) throws IOException {
            String src = Path.of("/" + source).normalize().toString().substring(1); // never above the tree's root
            boolean glob = src.matches(".*[*?\\[].*");
            PathMatcher matcher = glob ? FileSystems.getDefault().getPathMatcher("glob:" + src) : null;
            int copied = 0;
            for (PushedTree.Entry e : tree.entries()) {
                String rel;
                if (src.isEmpty()) {
                    rel = e.path(); // "." : the whole tree into dest
                } else if (glob ? matcher.matches(Path.of(e.path())) : e.path().equals(src)) {
                    String base = Path.of(e.path()).getFileName().toString();
                    if (e.kind() == PushedTree.Kind.DIRECTORY) {
                        copied++;
                        continue; // its contents follow as their own entries
                    }
                    String name = destIsDir ? join(dest, base) : dest;
                    tree.put(tar, e, name.substring(1));
                    copied++;
                    continue;
                } else {
                    String dir = glob ? matchingDir(tree, matcher, e.path()) : src;
                    if (dir == null || !e.path().startsWith(dir + "/")) continue;
                    rel = e.path().substring(dir.length() + 1);
                }
                tree.put(tar, e, join(dest, rel).substring(1));
                copied++;
            }
            if (copied == 0) throw new BuildFailure(where + ": " + source + " is not in the pushed tree");
        }

        /** The directory among the glob's matches that holds {@code path}, if any. */
        private static String matchingDir(PushedTree tree, PathMatcher matcher, String path) {
            for (PushedTree.Entry d : tree.entries()) {
                if (d.kind() == PushedTree.Kind.DIRECTORY && path.startsWith(d.path() + "/") && matcher.matches(Path.of(d.path()))) return d.path();
            }
            return null;
        }

        private static String join(String dir, String rel) {
            return rel.isEmpty() ? dir : (dir.endsWith("/") ? dir + rel : dir + "/" + rel);
        }

        /** Files out of an image: Docker reads them inside a container made from it (never started). */
        private void fromImage(String image, String workdir, String source, String dest, boolean destIsDir,
                               TarArchiveOutputStream tar, String where) throws IOException {
            if (source.matches(".*[*?\\[].*")) throw new BuildFailure(where + ": COPY --from takes no wildcards here: name the path");
            String src = source.startsWith("/") ? source : join(workdir, source);
            String id = docker.create(new Docker.ContainerSpec("grid-build-" + tag + "-from", image, List.of("/bin/true"), Map.of(),
                    Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), List.of(), List.of()));
            try (InputStream in = docker.archive(id, src); TarArchiveInputStream from = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                String top = null;
                while ((e = from.getNextEntry()) != null) {
                    String name = e.getName().endsWith("/") ? e.getName().substring(0, e.getName().length() - 1) : e.getName();
                    if (top == null) {
                        top = name;
                        if (e.isDirectory()) continue; // a directory's contents are copied, not the directory
                    }
                    String rel = name.equals(top) ? "" : name.substring(top.length() + 1);
                    String target = rel.isEmpty() ? (destIsDir ? join(dest, top) : dest) : join(dest, rel);
                    boolean regular = Tars.regular(e);
                    if (!(regular || e.isDirectory() || e.isSymbolicLink())) continue; // hard links, devices, fifos
                    TarArchiveEntry t = e.isSymbolicLink() ? new TarArchiveEntry(target.substring(1), TarArchiveEntry.LF_SYMLINK)
                            : new TarArchiveEntry(target.substring(1) + (e.isDirectory() ? "/" : ""));
                    t.setMode(e.getMode());
                    if (e.isSymbolicLink()) t.setLinkName(e.getLinkName());
                    if (regular) t.setSize(e.getSize());
                    tar.putArchiveEntry(t);
                    if (regular) from.transferTo(tar);
                    tar.closeArchiveEntry();
                }
            } catch (Docker.NotFound e) {
                throw new BuildFailure(where + ": " + source + " is not in " + image);
            } finally {
                docker.remove(id, 0);
            }
        }

        /** Puts the files into a container of the stage's image (owned by the app's UID) and commits it as the next image. */
        private void commit(Stage stage, Docker.Archive archive) {
            String id = docker.create(new Docker.ContainerSpec("grid-build-" + tag + "-copy", stage.image, List.of("/bin/true"), Map.of(),
                    Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), List.of(), List.of(archive)));
            try {
                stage.image = docker.commit(id, null, null);
                made.add(stage.image);
            } finally {
                docker.remove(id, 0);
            }
        }

        /** The last stage's image with its ENV and WORKDIR, tagged for the app. */
        private String finish(Stage stage) {
            String name = APP_IMAGES + app + ":" + tag.substring(app.length() + 1);
            Docker.ContainerSpec spec = new Docker.ContainerSpec("grid-build-" + tag + "-final", stage.image, List.of("/bin/sh"), stage.env,
                    Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), List.of(), List.of(), stage.workdir);
            String id = docker.create(spec);
            try {
                int colon = name.lastIndexOf(':');
                docker.commit(id, name.substring(0, colon), name.substring(colon + 1));
                return name;
            } finally {
                docker.remove(id, 0);
            }
        }
    }
}
