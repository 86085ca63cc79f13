package dev.grid.builder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.blobs.Blobs;
import dev.grid.host.Docker;
import dev.grid.host.SlugProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Turns a pushed commit into a running release: the tree is exported, built by
 * buildpacks in a container from the stack image (host networking, a per-app
 * cache volume, the config vars as ENV_DIR), packed as a slug into the blob
 * store, released through the controller, and watched until it is up. Every
 * line of output goes to the pusher as it happens.
 */
public final class SlugBuilder {
    private final Docker docker;
    private final String stackImage;
    private final Path workDir;
    private final Path buildpacks;
    private final Blobs blobs;
    private final ControllerClient controller;
    private final String domain;
    private final Duration bootTimeout;
    private final Path caBundle;
    private static final String CA_IN_BUILD = "/etc/ssl/certs/ca-certificates.crt";

    public SlugBuilder(Docker docker, String stackImage, Path workDir, Blobs blobs, ControllerClient controller, String domain,
                       Duration bootTimeout) throws IOException {
        this.docker = docker;
        this.stackImage = stackImage;
        this.workDir = Files.createDirectories(workDir);
        this.buildpacks = Buildpacks.writeTo(workDir.resolve("buildpacks"));
        this.blobs = blobs;
        this.controller = controller;
        this.domain = domain;
        this.bootTimeout = bootTimeout;
        String ca = System.getenv().getOrDefault("GRID_BUILD_CA_BUNDLE", CA_IN_BUILD);
        this.caBundle = ca.isBlank() ? null : Path.of(ca);
    }

    /** Builds and deploys; returns the new release's version, or throws {@link BuildFailure} with the reason. */
    public int build(String app, Repository repo, ObjectId commit, Consumer<String> out) throws IOException {
        String tag = app + "-" + commit.abbreviate(8).name() + "-" + System.currentTimeMillis();
        Path dir = Files.createDirectories(workDir.resolve("builds").resolve(tag));
        try {
            Path src = Files.createDirectories(dir.resolve("build"));
            Path env = Files.createDirectories(dir.resolve("env"));
            Path outDir = Files.createDirectories(dir.resolve("out"));
            export(repo, commit, src);
            Map<String, String> procfile = Files.exists(src.resolve("Procfile")) ? parseProcfile(src.resolve("Procfile")) : Map.of();
            for (var e : controller.config(app).entrySet()) Files.writeString(env.resolve(e.getKey()), e.getValue());

            boolean buildpackApp = Files.exists(src.resolve("package.json")) || Files.exists(src.resolve("pom.xml"));
            if (Files.exists(src.resolve("Dockerfile")) && !buildpackApp) return dockerBuild(app, tag, src, procfile, out);

            Instant started = Instant.now();
            int exit = runBuild(app, tag, src, env, outDir, out);
            if (exit != 0) throw new BuildFailure("the build failed (exit code " + exit + "); see the output above");
            long compileMs = Duration.between(started, Instant.now()).toMillis();

            Map<String, Object> processes = new LinkedHashMap<>();
            defaultProcessTypes(outDir.resolve("release.yml")).forEach((t, c) -> processes.put(t, Map.of("command", c)));
            procfile.forEach((t, c) -> processes.put(t, Map.of("command", c)));
            processes.remove("release");
            if (processes.isEmpty()) throw new BuildFailure("no process types: add a Procfile, e.g. 'web: node server.js'");
            if (procfile.containsKey("release")) releasePhase(app, tag, src, env, procfile.get("release"), out);
            String slug = blobs.put(tag + ".tgz", outDir.resolve("slug.tgz"));

            return launch(app, stackImage, slug, processes, "build " + compileMs + " ms", out);
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start();
        }
    }

    /**
     * A repository with a Dockerfile (and no package.json or pom.xml) becomes a local
     * image; its process types come from the Procfile, else web runs the image's command.
     * The image exists on this machine only: with several hosts, its jobs must run here.
     */
    private int dockerBuild(String app, String tag, Path src, Map<String, String> procfile, Consumer<String> out) {
        out.accept("-----> Dockerfile app detected: building an image");
        String image = "grid-app/" + app + ":" + tag.substring(app.length() + 1);
        try {
            docker.buildImage(src, image, line -> out.accept("       " + line));
        } catch (RuntimeException e) {
            throw new BuildFailure("the Dockerfile build failed: " + e.getMessage());
        }
        Map<String, Object> processes = new LinkedHashMap<>();
        procfile.forEach((t, c) -> processes.put(t, Map.of("command", c)));
        processes.remove("release");
        if (processes.isEmpty()) {
            String cmd = docker.defaultCommand(image);
            if (cmd.isBlank()) throw new BuildFailure("the image has no CMD and there is no Procfile: say how to run it");
            processes.put("web", Map.of("command", cmd));
        }
        return launch(app, image, null, processes, "image " + image, out);
    }

    /** Releases the artifact through the controller and waits for it to be up. */
    private int launch(String app, String image, String slug, Map<String, Object> processes, String what, Consumer<String> out) {
        out.accept("-----> Launching...");
        Map<String, Object> body = new LinkedHashMap<>(Map.of("image", image, "processes", processes));
        if (slug != null) body.put("slug", slug);
        JsonNode release = controller.send("POST", "/apps/" + app + "/releases", body);
        int version = release.path("version").asInt();
        JsonNode formation = controller.send("GET", "/apps/" + app + "/formation", null).path("processes");
        int scaled = 0;
        for (String type : processes.keySet()) scaled += formation.path(type).asInt(0);
        if (scaled == 0) {
            out.accept("       No process of v" + version + " is scaled up: run 'grid ps:scale -a " + app + " TYPE=1'");
        } else {
            awaitUp(app, release.path("id").asText(), version);
        }
        out.accept("       Released v" + version + " (" + what + ")");
        out.accept("       http://" + app + "." + domain + "/ deployed to Grid");
        return version;
    }

    /** The Procfile's release command, run once with the new code and the app's config before the release goes live. */
    private void releasePhase(String app, String tag, Path build, Path envDir, String command, Consumer<String> out) throws IOException {
        out.accept("-----> Running release command: " + command);
        Map<String, String> env = new java.util.HashMap<>();
        try (var files = Files.list(envDir)) {
            for (Path f : files.toList()) env.put(f.getFileName().toString(), Files.readString(f));
        }
        SlugProcess.env(env, "release.1", command);
        String id = docker.run(new Docker.ContainerSpec("grid-release-" + tag, stackImage, SlugProcess.command(), env,
                Map.of("grid.managed", "true", "grid.build", app), 0, List.of(Docker.bindReadOnly(build.toString(), SlugProcess.APP_DIR))));
        int exit = streamUntilExit(id, line -> out.accept("       " + line));
        if (exit != 0) throw new BuildFailure("the release command failed (exit code " + exit + "); nothing was deployed");
    }

    private static Map<String, String> parseProcfile(Path file) throws IOException {
        try {
            return Procfile.parse(Files.readString(file));
        } catch (Procfile.ProcfileException e) {
            throw new BuildFailure(e.getMessage());
        }
    }

    private int runBuild(String app, String tag, Path src, Path env, Path outDir, Consumer<String> out) {
        docker.ensureVolume("grid-cache-" + app, Map.of("grid.managed", "true", "grid.cache", app));
        Map<String, String> vars = new java.util.HashMap<>(Map.of("HOME", "/tmp/build", "STACK", "bookworm"));
        List<com.github.dockerjava.api.model.Bind> binds = new java.util.ArrayList<>(List.of(
                Docker.bind(src.toString(), "/tmp/build"), Docker.bind("grid-cache-" + app, "/tmp/cache"),
                Docker.bindReadOnly(env.toString(), "/tmp/env"), Docker.bindReadOnly(buildpacks.toString(), "/buildpacks"),
                Docker.bind(outDir.toString(), "/tmp/out")));
        // Builds reach package registries as this machine does: its CA bundle (a TLS-intercepting proxy's CA
        // included) and its proxy settings.
        if (caBundle != null && Files.isReadable(caBundle)) {
            binds.add(Docker.bindReadOnly(caBundle.toString(), CA_IN_BUILD));
            for (String v : List.of("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "npm_config_cafile", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE")) vars.put(v, CA_IN_BUILD);
        }
        for (String v : List.of("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")) {
            String value = System.getenv(v);
            if (value != null) vars.put(v, value);
        }
        String id = docker.run(new Docker.ContainerSpec("grid-build-" + tag, stackImage, List.of("/bin/bash", "/buildpacks/build.sh"),
                vars, Map.of("grid.managed", "true", "grid.build", app), 0, binds));
        return streamUntilExit(id, out);
    }

    /** Streams a container's output line by line until it exits; returns the exit code and removes the container. */
    private int streamUntilExit(String id, Consumer<String> out) {
        try {
            CountDownLatch ended = new CountDownLatch(1);
            try (var logs = docker.logs(id, true, -1, out, ended::countDown)) {
                int exit = docker.await(id);
                ended.await(10, java.util.concurrent.TimeUnit.SECONDS);
                return exit;
            }
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            docker.remove(id, 0);
        }
    }

    /** Waits until every job of the release is up; a crash on boot fails the push (the old release keeps serving). */
    private void awaitUp(String app, String releaseId, int version) {
        Instant deadline = Instant.now().plus(bootTimeout);
        String last = "no job started";
        while (Instant.now().isBefore(deadline)) {
            JsonNode jobs = controller.send("GET", "/apps/" + app + "/jobs", null);
            int mine = 0;
            int up = 0;
            for (JsonNode j : jobs) {
                if (!j.path("releaseId").asText().equals(releaseId)) continue;
                mine++;
                String state = j.path("state").asText();
                if (state.equals("up")) up++;
                if (j.path("restarts").asInt() > 0 || state.equals("crashed") || state.equals("failed")) {
                    String why = j.path("message").isNull() ? state : j.path("message").asText();
                    throw new BuildFailure("v" + version + " crashed on boot (" + j.path("type").asText() + ": " + why
                            + "); the previous release keeps serving. See 'grid logs -a " + app + "'");
                }
                last = j.path("type").asText() + " " + state;
            }
            if (mine > 0 && up == mine) return;
            if (mine == 0) last = "no job of v" + version + " is placed yet";
            sleep(200);
        }
        throw new BuildFailure("v" + version + " was not up within " + bootTimeout.toSeconds() + " s (" + last + ")");
    }

    /** Parses bin/release's YAML for default_process_types (the only part Grid uses). */
    static Map<String, String> defaultProcessTypes(Path releaseYml) throws IOException {
        Map<String, String> types = new LinkedHashMap<>();
        if (!Files.exists(releaseYml)) return types;
        boolean inTypes = false;
        for (String line : Files.readAllLines(releaseYml)) {
            if (line.startsWith("default_process_types:")) {
                inTypes = true;
            } else if (inTypes && line.startsWith("  ") && line.contains(":")) {
                int colon = line.indexOf(':');
                types.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            } else if (!line.startsWith(" ")) {
                inTypes = false;
            }
        }
        return types;
    }

    /** Writes the commit's tree to {@code dir}, keeping executable bits; symlinks are recreated. */
    private static void export(Repository repo, ObjectId commit, Path dir) throws IOException {
        try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            RevCommit c = walk.parseCommit(commit);
            tree.addTree(c.getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                Path target = dir.resolve(tree.getPathString()).normalize();
                if (!target.startsWith(dir)) continue;
                Files.createDirectories(target.getParent());
                FileMode mode = tree.getFileMode(0);
                if (mode == FileMode.GITLINK) continue;
                if (mode == FileMode.SYMLINK) {
                    String link = new String(repo.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
                    Files.createSymbolicLink(target, Path.of(link));
                    continue;
                }
                try (InputStream in = repo.open(tree.getObjectId(0)).openStream(); OutputStream o = Files.newOutputStream(target)) {
                    in.transferTo(o);
                }
                if (mode == FileMode.EXECUTABLE_FILE) target.toFile().setExecutable(true, false);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailure("interrupted");
        }
    }
}
