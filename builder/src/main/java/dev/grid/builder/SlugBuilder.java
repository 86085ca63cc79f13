package dev.grid.builder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.blobs.Blobs;
import dev.grid.host.Docker;
import dev.grid.host.SlugProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/**
 * Turns a pushed commit into a running release: the tree is read from git's objects (never
 * checked out on the host) and unpacked inside a build container from the stack image, which
 * runs buildpacks as the app's own UID with no capabilities, within the build's limits, on
 * host networking (the host firewall keeps it from Grid's ports and other apps' jobs), with a
 * per-app cache and the config vars as ENV_DIR. The slug comes back out of the container as a
 * tar entry, is stored in the blob store, released through the controller, and watched until
 * it is up. Every line of output goes to the pusher as it happens.
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
    private final BuildContainers containers;
    private final DockerfileBuild dockerfiles;
    private final Path caBundle;
    private static final String CA_IN_BUILD = "/etc/ssl/certs/ca-certificates.crt";
    /** The Procfile and the other files the builder reads itself are small. */
    private static final int MAX_READ = 256 << 10;
    /** What bin/release may answer. */
    private static final long MAX_RELEASE_YML = 1 << 20;

    public SlugBuilder(Docker docker, String stackImage, Path workDir, Blobs blobs, ControllerClient controller, String domain,
                       Duration bootTimeout, BuildLimits limits) throws IOException {
        this.docker = docker;
        this.stackImage = stackImage;
        this.workDir = Files.createDirectories(workDir);
        this.buildpacks = Buildpacks.writeTo(workDir.resolve("buildpacks"));
        this.blobs = blobs;
        this.controller = controller;
        this.domain = domain;
        this.bootTimeout = bootTimeout;
        this.containers = new BuildContainers(docker, limits);
        this.dockerfiles = new DockerfileBuild(docker, containers);
        String ca = System.getenv().getOrDefault("GRID_BUILD_CA_BUNDLE", CA_IN_BUILD);
        this.caBundle = ca.isBlank() ? null : Path.of(ca);
    }

    public BuildLimits limits() {
        return containers.limits();
    }

    private volatile io.micrometer.core.instrument.MeterRegistry registry;

    /** Records each build's duration, by app and result, as {@code grid_build_duration_seconds} in {@code registry}. */
    public SlugBuilder metrics(io.micrometer.core.instrument.MeterRegistry registry) {
        this.registry = registry;
        return this;
    }

    /** Builds and deploys; returns the new release's version, or throws {@link BuildFailure} with the reason. */
    public int build(String app, Repository repo, ObjectId commit, Consumer<String> out) throws IOException {
        long start = System.nanoTime();
        String result = "failed";
        try {
            int version = build0(app, repo, commit, out);
            result = "succeeded";
            return version;
        } finally {
            io.micrometer.core.instrument.MeterRegistry r = registry;
            if (r != null) {
                io.micrometer.core.instrument.Timer.builder("grid.build.duration")
                        .description("Builds from a push to a release that is up (or to the failure), by app and result")
                        .tags("app", app, "result", result).serviceLevelObjectives(BUILD_BUCKETS).register(r)
                        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Build durations' histogram buckets: from a cached Dockerfile build to a slow first compile. */
    private static final Duration[] BUILD_BUCKETS = {Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
            Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(20)};

    private int build0(String app, Repository repo, ObjectId commit, Consumer<String> out) throws IOException {
        // Below the free-space floor nothing is built: a build must not fill the disk that etcd and the data nodes use.
        Files.createDirectories(workDir);
        java.util.Optional<String> full = limits().refusal(workDir.toFile().getUsableSpace(), workDir.toString())
                .or(() -> limits().refusal(blobs.usableSpace(), blobs.dir().toString()));
        if (full.isPresent()) throw new BuildFailure(full.get());
        String tag = app + "-" + commit.abbreviate(8).name() + "-" + System.currentTimeMillis();
        Path dir = Files.createDirectories(workDir.resolve("builds").resolve(tag));
        try {
            PushedTree tree = PushedTree.of(repo, commit);
            Map<String, String> procfile = tree.text("Procfile", MAX_READ).map(SlugBuilder::parseProcfile).orElse(Map.of());
            int uid = controller.send("GET", "/apps/" + app, null).path("app").path("uid").asInt(-1);
            if (uid < 0) throw new BuildFailure(app + " has no UID of its own yet: a controller gives it one when it starts");
            Map<String, String> config = controller.config(app);

            boolean buildpackApp = tree.has("package.json") || tree.has("pom.xml");
            if (tree.has("Dockerfile") && !buildpackApp) {
                out.accept("-----> Dockerfile app detected: building an image");
                DockerfileBuild.Image image = dockerfiles.build(app, tag, uid, tree, config, dir, line -> out.accept("       " + line));
                return launch(app, image.name(), null, processes(procfile, image.command()), "image " + image.name(), out);
            }

            Instant started = Instant.now();
            Map<String, Path> outputs = new java.util.HashMap<>();
            runBuild(app, tag, uid, tree, config, dir, outputs, out);
            Path slug = outputs.get("slug.tgz");
            long compileMs = Duration.between(started, Instant.now()).toMillis();

            Map<String, Object> processes = new LinkedHashMap<>();
            if (outputs.containsKey("release.yml")) defaultProcessTypes(outputs.get("release.yml")).forEach((t, c) -> processes.put(t, Map.of("command", c)));
            procfile.forEach((t, c) -> processes.put(t, Map.of("command", c)));
            processes.remove("release");
            if (processes.isEmpty()) throw new BuildFailure("no process types: add a Procfile, e.g. 'web: node server.js'");
            if (procfile.containsKey("release")) releasePhase(app, tag, uid, slug, config, procfile.get("release"), out);
            String slugUrl = blobs.put(tag + ".tgz", slug);

            return launch(app, stackImage, slugUrl, processes, "build " + compileMs + " ms", out);
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start();
        }
    }

    /**
     * A Dockerfile app's process types: the Procfile's, else web runs the image's command. The
     * image exists on this machine only: with several hosts, its jobs must run here.
     */
    private static Map<String, Object> processes(Map<String, String> procfile, String imageCommand) {
        Map<String, Object> processes = new LinkedHashMap<>();
        procfile.forEach((t, c) -> processes.put(t, Map.of("command", c)));
        processes.remove("release");
        if (processes.isEmpty()) {
            if (imageCommand.isBlank()) throw new BuildFailure("the image has no CMD and there is no Procfile: say how to run it");
            processes.put("web", Map.of("command", imageCommand));
        }
        return processes;
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
    private void releasePhase(String app, String tag, int uid, Path slug, Map<String, String> config, String command,
                              Consumer<String> out) {
        out.accept("-----> Running release command: " + command);
        Map<String, String> env = new java.util.HashMap<>(config);
        SlugProcess.env(env, "release.1", command);
        int exit = containers.runAndRemove(new Docker.ContainerSpec("grid-release-" + tag, SlugProcess.base(docker, stackImage, uid), SlugProcess.command(),
                env, Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), List.of(SlugProcess.bind(slug)), List.of()),
                line -> out.accept("       " + line), "the release command", containers.deadline());
        if (exit != 0) throw new BuildFailure("the release command failed (exit code " + exit + "); nothing was deployed");
    }

    private static Map<String, String> parseProcfile(String text) {
        try {
            return Procfile.parse(text);
        } catch (Procfile.ProcfileException e) {
            throw new BuildFailure(e.getMessage());
        }
    }

    /**
     * Runs the buildpacks in a container as the app's UID: the tree and the config go in as tar
     * streams, and the files named in {@code outputs} come back out of /tmp/out into the host
     * files given (only as regular files: a link the build made there is refused).
     */
    private void runBuild(String app, String tag, int uid, PushedTree tree, Map<String, String> config, Path dir,
                          Map<String, Path> outputs, Consumer<String> out) throws IOException {
        Map<String, String> vars = new java.util.HashMap<>(Map.of("HOME", "/tmp/build", "STACK", "bookworm"));
        List<Docker.Mount> binds = new java.util.ArrayList<>(List.of(
                Docker.bind(cacheDir(app, uid).toString(), "/tmp/cache"), Docker.bindReadOnly(buildpacks.toString(), "/buildpacks")));
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
        // The tree and the config are written out as the app's files (the host never reads them back),
        // and what the build leaves in out/ is read only as regular files (BuildOutput).
        Path src = BuildOutput.ownedDirectory(dir.resolve("build"), uid);
        Path env = BuildOutput.ownedDirectory(dir.resolve("env"), uid);
        Path outDir = BuildOutput.ownedDirectory(dir.resolve("out"), uid);
        tree.export(src, uid);
        for (var e : config.entrySet()) BuildOutput.ownedFile(env.resolve(e.getKey()), e.getValue(), uid);
        binds.addAll(List.of(Docker.bind(src.toString(), "/tmp/build"), Docker.bindReadOnly(env.toString(), "/tmp/env"),
                Docker.bind(outDir.toString(), "/tmp/out")));
        int exit = containers.runAndRemove(new Docker.ContainerSpec("grid-build-" + tag, stackImage, List.of("/bin/bash", "/buildpacks/build.sh"),
                vars, Map.of("grid.managed", "true", "grid.build", app), containers.sandbox(uid), binds, List.of()), out, "the build", containers.deadline());
        if (exit != 0) throw new BuildFailure("the build failed (exit code " + exit + "); see the output above");
        // The build's container is gone, so nothing changes these files any more.
        outputs.put("slug.tgz", BuildOutput.regularFile(outDir, "slug.tgz", containers.limits().pushBytes() * 2)
                .orElseThrow(() -> new BuildFailure("the build made no slug")));
        BuildOutput.regularFile(outDir, "release.yml", MAX_RELEASE_YML).ifPresent(f -> outputs.put("release.yml", f));
    }

    /**
     * The app's build cache on this machine, owned by its UID. The build writes there, so the
     * host never reads it; one that an earlier Grid filled as root is started afresh.
     */
    private Path cacheDir(String app, int uid) throws IOException {
        Path dir = workDir.resolve("cache").resolve(app);
        if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !Integer.valueOf(uid).equals(Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
            try {
                if (new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor() != 0) throw new IOException("cannot clear " + dir);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        Files.createDirectories(dir);
        Files.setAttribute(dir, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return dir;
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

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailure("interrupted");
        }
    }
}
