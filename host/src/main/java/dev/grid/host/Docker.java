package dev.grid.host;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one way Grid starts and inspects containers. Every container runs with host
 * networking (Grid never uses Docker's bridge), an init process, so SIGTERM
 * stops it promptly, and its {@link Sandbox}: every capability dropped but the ones it
 * names, no-new-privileges, a pids and a memory limit, and the sandbox's user.
 *
 * <p>What it answers is Grid's own records ({@link Container}, {@link State}, {@link Event},
 * {@link Mount}, {@link ImageConfig}), never docker-java's: the code that decides from them
 * (the host agent's {@link Convergence}) is tested without a daemon.
 */
public final class Docker implements AutoCloseable {
    /**
     * A container Grid made, as listed: its id, Docker's state ("running", "exited", "created", ...),
     * its labels and the named volumes it mounts.
     */
    public record Container(String id, String state, Map<String, String> labels, java.util.Set<String> volumes) {
        public Container {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            volumes = volumes == null ? java.util.Set.of() : java.util.Set.copyOf(volumes);
        }

        public Container(String id, String state, Map<String, String> labels) {
            this(id, state, labels, java.util.Set.of());
        }

        public boolean running() {
            return "running".equals(state);
        }

        public String label(String name) {
            return labels.get(name);
        }
    }

    /** What an inspection says of a container's run: when it started and finished (null if not yet), and how it ended. */
    public record State(boolean running, java.time.Instant startedAt, java.time.Instant finishedAt, Long exitCode, boolean oomKilled, java.time.Instant createdAt) {
        public State(boolean running, java.time.Instant startedAt, java.time.Instant finishedAt, Long exitCode, boolean oomKilled) {
            this(running, startedAt, finishedAt, exitCode, oomKilled, null);
        }
    }

    /** A container event ("start", "die", "destroy"), with Docker's time of it in seconds since the epoch. */
    public record Event(String containerId, String action, long time) {}

    /** A named volume or an absolute host path, mounted at {@code path} in the container. */
    public record Mount(String source, String path, boolean readOnly) {}

    /** An image's configuration: its environment ("K=V"), working directory, entrypoint and command (each may be null). */
    public record ImageConfig(List<String> env, String workingDir, List<String> entrypoint, List<String> cmd) {}

    /** What Docker answers when the container, image or path asked for is not there. */
    public static final class NotFound extends RuntimeException {
        NotFound(String what, Throwable cause) {
            super(what, cause);
        }
    }

    public static final String DEFAULT_HOST = "unix:///var/run/docker.sock";
    /** The daemon API of Debian's docker.io 20.10: never ask for more. */
    private static final String API_VERSION = "1.41";

    private final DockerClient client;
    private final String dockerHost;

    public Docker(String dockerHost) {
        this.dockerHost = dockerHost;
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost).withApiVersion(API_VERSION).build();
        var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .maxConnections(64).connectionTimeout(Duration.ofSeconds(5)).responseTimeout(Duration.ofMinutes(5)).build();
        this.client = DockerClientImpl.getInstance(config, http);
    }

    /** Fails loudly, with what to do, when no engine answers. */
    public Docker verify() {
        try {
            client.pingCmd().exec();
            return this;
        } catch (RuntimeException e) {
            throw new IllegalStateException("no Docker engine answers at the configured socket (" + e.getMessage()
                    + "): run scripts/setup-host.sh to start one", e);
        }
    }

    /** A tar stream to unpack at {@code path} in a container before it starts (owned as its entries say: see {@link Tars}). */
    public record Archive(String path, TarSource tar) {
        public static Archive of(String path, byte[] tar) {
            return new Archive(path, () -> new java.io.ByteArrayInputStream(tar));
        }

        public static Archive of(String path, java.nio.file.Path tarFile) {
            return new Archive(path, () -> java.nio.file.Files.newInputStream(tarFile));
        }
    }

    @FunctionalInterface
    public interface TarSource {
        java.io.InputStream open() throws java.io.IOException;
    }

    /**
     * A container to make. {@code command} replaces the image's entrypoint and command;
     * {@code workingDir} null keeps the image's. With {@code stdio} its stdin is open for one
     * caller to attach ({@link DockerAttach}), with a TTY if it says so; else it reads nothing.
     */
    public record ContainerSpec(String name, String image, List<String> command, Map<String, String> env,
                                Map<String, String> labels, Sandbox sandbox, List<Mount> binds, List<Archive> archives, String workingDir,
                                dev.grid.core.OneOffRun.Stdio stdio) {
        public ContainerSpec {
            binds = binds == null ? List.of() : List.copyOf(binds);
            archives = archives == null ? List.of() : List.copyOf(archives);
        }

        public ContainerSpec(String name, String image, List<String> command, Map<String, String> env,
                             Map<String, String> labels, Sandbox sandbox, List<Mount> binds, List<Archive> archives, String workingDir) {
            this(name, image, command, env, labels, sandbox, binds, archives, workingDir, null);
        }

        public ContainerSpec(String name, String image, List<String> command, Map<String, String> env,
                             Map<String, String> labels, Sandbox sandbox, List<Mount> binds, List<Archive> archives) {
            this(name, image, command, env, labels, sandbox, binds, archives, null);
        }
    }

    public String run(ContainerSpec spec) {
        String id = create(spec);
        try {
            client.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            remove(id, 0);
            throw e;
        }
        return id;
    }

    /** Makes the container and puts its archives in, without starting it (a step to commit, say). */
    public String create(ContainerSpec spec) {
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        Sandbox box = spec.sandbox();
        HostConfig hc = HostConfig.newHostConfig().withNetworkMode("host").withInit(true)
                .withCapDrop(com.github.dockerjava.api.model.Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withPidsLimit(box.pidsLimit());
        if (!box.capabilities().isEmpty()) {
            hc.withCapAdd(box.capabilities().stream().map(com.github.dockerjava.api.model.Capability::valueOf)
                    .toArray(com.github.dockerjava.api.model.Capability[]::new));
        }
        if (box.memoryBytes() > 0) hc.withMemory(box.memoryBytes()).withMemorySwap(box.memoryBytes());
        if (box.nanoCpus() > 0) hc.withNanoCPUs(box.nanoCpus());
        if (!spec.binds().isEmpty()) {
            hc.withBinds(spec.binds().stream().map(m -> m.readOnly()
                    ? new Bind(m.source(), new Volume(m.path()), com.github.dockerjava.api.model.AccessMode.ro)
                    : new Bind(m.source(), new Volume(m.path()))).toList());
        }
        String id;
        try (CreateContainerCmd cmd = client.createContainerCmd(spec.image())) {
            cmd.withName(spec.name()).withEnv(env).withLabels(spec.labels())
                    .withEntrypoint(spec.command()).withCmd(List.of()).withHostConfig(hc);
            if (box.user() != null) cmd.withUser(box.user());
            if (spec.workingDir() != null) cmd.withWorkingDir(spec.workingDir());
            if (spec.stdio() != null) {
                // StdinOnce: the container's stdin closes when its caller's does (a piped `grid run` sees its EOF).
                cmd.withStdinOpen(true).withStdInOnce(true).withAttachStdin(true).withAttachStdout(true).withAttachStderr(true)
                        .withTty(spec.stdio() == dev.grid.core.OneOffRun.Stdio.TTY);
            }
            id = cmd.exec().getId();
        }
        try {
            for (Archive a : spec.archives()) {
                try (var in = a.tar().open()) {
                    client.copyArchiveToContainerCmd(id).withRemotePath(a.path()).withTarInputStream(in).exec();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            remove(id, 0);
            throw new IllegalStateException("cannot put files into container " + spec.name() + ": " + e.getMessage(), e);
        }
        return id;
    }

    /** A tar stream of {@code path} inside the container (Docker resolves it in the container's own root). */
    public java.io.InputStream archive(String id, String path) {
        try {
            return client.copyArchiveFromContainerCmd(id, path).exec();
        } catch (NotFoundException e) {
            throw new NotFound(path + " is not in container " + id, e);
        }
    }

    /** Commits the container's file system (and its configuration) as {@code repository:tag}, or untagged if null; returns the image id. */
    public String commit(String id, String repository, String tag) {
        var cmd = client.commitCmd(id);
        if (repository != null) cmd.withRepository(repository).withTag(tag);
        return cmd.exec();
    }

    /** The exit code once the container has stopped, or empty if it still runs after {@code timeout}. */
    public java.util.OptionalInt await(String id, Duration timeout) {
        try {
            return java.util.OptionalInt.of(client.waitContainerCmd(id).start().awaitStatusCode(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
        } catch (com.github.dockerjava.api.exception.DockerClientException notYet) {
            return java.util.OptionalInt.empty();
        }
    }

    /** Whether the container was killed for using more memory than its limit. */
    public boolean oomKilled(String id) {
        return inspect(id).oomKilled();
    }

    /** A named volume or an absolute host path, mounted at {@code path}. */
    public static Mount bind(String volume, String path) {
        return new Mount(volume, path, false);
    }

    public static Mount bindReadOnly(String volumeOrHostPath, String path) {
        return new Mount(volumeOrHostPath, path, true);
    }

    /** Waits for a container to exit and returns its exit code. */
    public int await(String id) {
        return client.waitContainerCmd(id).start().awaitStatusCode();
    }

    /** Creates the named volume if it does not exist yet; volumes outlive every container. */
    public void ensureVolume(String name, Map<String, String> labels) {
        try {
            client.inspectVolumeCmd(name).exec();
        } catch (NotFoundException missing) {
            client.createVolumeCmd().withName(name).withLabels(labels).exec();
        }
    }

    /**
     * Makes the volume's top directory belong to {@code uid}, from a short-lived container of
     * {@code image} that may only chown (the directory alone: nothing in it is followed).
     */
    public void giveVolume(String volume, int uid, String image) {
        String id = run(new ContainerSpec("grid-chown-" + volume + "-" + System.nanoTime(), image,
                List.of("chown", "-h", uid + ":" + uid, "/volume"), Map.of(), Map.of("grid.managed", "true"),
                new Sandbox(null, List.of("CHOWN"), 64L << 20, 0, 16), List.of(bind(volume, "/volume")), List.of()));
        try {
            int code = await(id);
            if (code != 0) throw new IllegalStateException("cannot give volume " + volume + " to UID " + uid + " (chown exited with " + code + ")");
        } finally {
            remove(id, 0);
        }
    }

    /** The names of the volumes with these labels. */
    public List<String> volumes(Map<String, String> labels) {
        List<String> filter = new ArrayList<>();
        labels.forEach((k, v) -> filter.add(k + "=" + v));
        var volumes = client.listVolumesCmd().withFilter("label", filter).exec().getVolumes();
        return volumes == null ? List.of() : volumes.stream().map(v -> v.getName()).toList();
    }

    /** Removes the volumes with these labels whose names pass the filter. */
    public void removeVolumes(Map<String, String> labels, java.util.function.Predicate<String> names) {
        for (String v : volumes(labels)) {
            if (names.test(v)) client.removeVolumeCmd(v).exec();
        }
    }

    /** The image's configuration (env, working directory, entrypoint, command), or empty if it is not on this machine. */
    public java.util.Optional<ImageConfig> imageConfig(String image) {
        try {
            var c = client.inspectImageCmd(image).exec().getConfig();
            if (c == null) return java.util.Optional.of(new ImageConfig(null, null, null, null));
            return java.util.Optional.of(new ImageConfig(c.getEnv() == null ? null : List.of(c.getEnv()), c.getWorkingDir(),
                    c.getEntrypoint() == null ? null : List.of(c.getEntrypoint()), c.getCmd() == null ? null : List.of(c.getCmd())));
        } catch (NotFoundException e) {
            return java.util.Optional.empty();
        }
    }

    public void removeImage(String image) {
        try {
            client.removeImageCmd(image).withForce(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        }
    }

    /** The tags of this repository's images on this engine ("name:tag" is {@code repository + ":" + tag}). */
    public List<String> tags(String repository) {
        List<String> tags = new ArrayList<>();
        for (var image : client.listImagesCmd().withReferenceFilter(repository).exec()) {
            if (image.getRepoTags() == null) continue;
            for (String t : image.getRepoTags()) {
                if (t.startsWith(repository + ":")) tags.add(t.substring(repository.length() + 1));
            }
        }
        return tags;
    }

    /** An image's name (repository:tag) and when it was made. */
    public record ImageTag(String name, java.time.Instant created) {}

    /** The tagged images whose repository starts with {@code prefix}. */
    public List<ImageTag> images(String prefix) {
        List<ImageTag> out = new ArrayList<>();
        for (var image : client.listImagesCmd().exec()) {
            if (image.getRepoTags() == null) continue;
            java.time.Instant created = java.time.Instant.ofEpochSecond(image.getCreated() == null ? 0 : image.getCreated());
            for (String t : image.getRepoTags()) if (t.startsWith(prefix)) out.add(new ImageTag(t, created));
        }
        return out;
    }

    /** Removes the image unless a container still uses it; whether it was removed. */
    public boolean removeImageIfUnused(String image) {
        try {
            client.removeImageCmd(image).exec();
            return true;
        } catch (NotFoundException gone) {
            return true;
        } catch (com.github.dockerjava.api.exception.ConflictException inUse) {
            return false;
        }
    }

    /** The image as {@code docker save} writes it: a tar of its configuration and its layers' tars. The caller closes it. */
    public java.io.InputStream save(String image) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        var cmd = colon > slash && !image.startsWith("sha256:") ? client.saveImageCmd(image.substring(0, colon)).withTag(image.substring(colon + 1)) : client.saveImageCmd(image);
        return cmd.exec();
    }

    /** Loads a tar as {@code docker save} writes it (layers this engine has may be left out of it). */
    public void load(java.io.InputStream tar) {
        client.loadImageCmd(tar).exec();
    }

    /** The image's layers (diff ids, bottom first). */
    public List<String> imageLayers(String image) {
        var rootFs = client.inspectImageCmd(image).exec().getRootFS();
        return rootFs == null || rootFs.getLayers() == null ? List.of() : List.copyOf(rootFs.getLayers());
    }

    /** {@link #imageLayers}, or empty for an image removed meanwhile. */
    private List<String> layersIfThere(String image) {
        try {
            return imageLayers(image);
        } catch (NotFoundException removedMeanwhile) {
            return List.of();
        }
    }

    /** The layers (diff ids, bottom first) of every image on this engine: what a load may leave out. */
    public List<List<String>> layerChains() {
        List<List<String>> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (var image : client.listImagesCmd().withShowAll(true).exec()) {
            if (!seen.add(image.getId())) continue;
            List<String> layers = layersIfThere(image.getId());
            if (!layers.isEmpty()) out.add(layers);
        }
        return out;
    }

    /** The image's id (sha256:...). */
    public String imageId(String image) {
        return client.inspectImageCmd(image).exec().getId();
    }

    public boolean hasImage(String image) {
        try {
            client.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** The containers (running or not) carrying all these labels. */
    public List<Container> list(Map<String, String> labels) {
        return client.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec().stream()
                .map(c -> new Container(c.getId(), c.getState(), c.getLabels(), c.getMounts() == null ? java.util.Set.of()
                        : c.getMounts().stream().map(m -> m.getName()).filter(java.util.Objects::nonNull).collect(java.util.stream.Collectors.toSet())))
                .toList();
    }

    /** How the container's run went so far; {@link NotFound} if it is gone. */
    public State inspect(String id) {
        try {
            var c = client.inspectContainerCmd(id).exec();
            var s = c.getState();
            return new State(Boolean.TRUE.equals(s.getRunning()), time(s.getStartedAt()), time(s.getFinishedAt()),
                    s.getExitCodeLong(), Boolean.TRUE.equals(s.getOOMKilled()), time(c.getCreated()));
        } catch (NotFoundException e) {
            throw new NotFound("no container " + id, e);
        }
    }

    /** Docker's times are RFC 3339; "0001-01-01..." means never. */
    static java.time.Instant time(String dockerTime) {
        if (dockerTime == null || dockerTime.startsWith("0001")) return null;
        try {
            return java.time.Instant.parse(dockerTime);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Stops (SIGTERM, then SIGKILL after the grace period) and removes; volumes stay. */
    public void remove(String id, int graceSeconds) {
        try {
            client.stopContainerCmd(id).withTimeout(graceSeconds).exec();
        } catch (NotFoundException | NotModifiedException ignored) {
            // already gone or already stopped
        }
        try {
            client.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException ignored) {
            // already gone
        }
    }

    public void kill(String id) {
        client.killContainerCmd(id).exec();
    }

    /** Sends the container's main process a signal ("HUP", say). */
    public void signal(String id, String signal) {
        client.killContainerCmd(id).withSignal(signal).exec();
    }

    /** Attaches to the stdin, stdout and stderr of a container made with a {@code stdio} and not started yet. */
    DockerAttach attach(String id, boolean tty) throws java.io.IOException {
        return DockerAttach.open(dockerHost, API_VERSION, id, tty);
    }

    /** Starts a container {@link #create} made. */
    public void start(String id) {
        client.startContainerCmd(id).exec();
    }

    /** Tells a container's TTY its new size (its programs get SIGWINCH). */
    public void resize(String id, int rows, int cols) {
        client.resizeContainerCmd(id).withSize(rows, cols).exec();
    }

    /** Where the engine is, for what docker-java cannot do ({@link DockerAttach}). */
    public String host() {
        return dockerHost;
    }

    /**
     * Streams a container's output, stdout and stderr interleaved, line by line; with
     * {@code timestamps} each line begins with its time as {@link dev.grid.core.LogTimes} writes it.
     */
    public Closeable logs(String id, boolean follow, int tail, boolean timestamps, Consumer<String> onLine, Runnable onEnd) {
        return logs(id, follow, tail, timestamps, 0, onLine, onEnd);
    }

    /** Follows a container's output from {@code sinceEpochSeconds} on, each line with its time first. */
    public Closeable follow(String id, long sinceEpochSeconds, Consumer<String> onLine, Runnable onEnd) {
        return logs(id, true, -1, true, sinceEpochSeconds, onLine, onEnd);
    }

    private Closeable logs(String id, boolean follow, int tail, boolean timestamps, long sinceEpochSeconds, Consumer<String> onLine, Runnable onEnd) {
        var cmd = client.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(follow).withTimestamps(timestamps);
        if (tail >= 0) cmd.withTail(tail);
        if (sinceEpochSeconds > 0) cmd.withSince((int) sinceEpochSeconds);
        Consumer<String> each = timestamps ? line -> onLine.accept(dev.grid.core.LogTimes.normalize(line)) : onLine;
        return cmd.exec(new ResultCallback.Adapter<Frame>() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public void onNext(Frame frame) {
                partial.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
                int nl;
                while ((nl = partial.indexOf("\n")) >= 0) {
                    each.accept(partial.substring(0, nl));
                    partial.delete(0, nl + 1);
                }
            }

            @Override
            public void onComplete() {
                if (partial.length() > 0) each.accept(partial.toString());
                onEnd.run();
            }

            @Override
            public void onError(Throwable t) {
                onEnd.run();
            }
        });
    }

    /**
     * Calls {@code onEvent} for every container event on containers carrying these labels, for as
     * long as the returned handle is open. Docker ends the stream when {@code dockerd} stops or
     * restarts (with live-restore its containers keep running meanwhile): the stream is opened
     * again, every {@code retry} until the engine answers, from the time of the last event seen so
     * that none is missed, and {@code onReopen} runs once it is open again (a caller that keeps
     * state from events reads it afresh).
     */
    public Closeable events(Map<String, String> labels, Duration retry, Consumer<Event> onEvent, Runnable onReopen) {
        return new EventStream(labels, retry, onEvent, onReopen).open(false);
    }

    private final class EventStream implements Closeable {
        private final Map<String, String> labels;
        private final Duration retry;
        private final Consumer<Event> onEvent;
        private final Runnable onReopen;
        private final java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "docker-events");
            t.setDaemon(true);
            return t;
        });
        private volatile boolean closed;
        private volatile Closeable current;
        /** Seconds since the epoch of the newest event seen, or of the first opening. */
        private volatile long since = java.time.Instant.now().getEpochSecond();

        EventStream(Map<String, String> labels, Duration retry, Consumer<Event> onEvent, Runnable onReopen) {
            this.labels = Map.copyOf(labels);
            this.retry = retry;
            this.onEvent = onEvent;
            this.onReopen = onReopen;
        }

        EventStream open(boolean again) {
            if (closed) return this;
            try {
                client.pingCmd().exec();
                current = client.eventsCmd().withLabelFilter(labels).withEventFilter("die", "start", "destroy")
                        .withSince(String.valueOf(since))
                        .exec(new ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
                            private final java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();

                            @Override
                            public void onNext(com.github.dockerjava.api.model.Event event) {
                                long time = event.getTime() == null ? since : event.getTime();
                                since = Math.max(since, time);
                                onEvent.accept(new Event(event.getId(), event.getAction() != null ? event.getAction() : event.getStatus(), time));
                            }

                            @Override
                            public void onComplete() {
                                if (over.compareAndSet(false, true)) reopenLater();
                            }

                            @Override
                            public void onError(Throwable t) {
                                if (over.compareAndSet(false, true)) reopenLater();
                            }
                        });
                if (again) onReopen.run();
            } catch (RuntimeException e) {
                // The engine is not back yet.
                reopenLater();
            }
            return this;
        }

        private void reopenLater() {
            if (closed) return;
            try {
                timer.schedule(() -> open(true), retry.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        @Override
        public void close() throws java.io.IOException {
            closed = true;
            timer.shutdownNow();
            Closeable c = current;
            if (c != null) c.close();
        }
    }

    @Override
    public void close() throws java.io.IOException {
        client.close();
    }
}
