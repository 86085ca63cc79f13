package dev.grid.host;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
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
 * networking (Grid never uses Docker's bridge) and an init process, so SIGTERM
 * stops it promptly.
 */
public final class Docker implements AutoCloseable {
    public static final String DEFAULT_HOST = "unix:///var/run/docker.sock";
    /** The daemon API of Debian's docker.io 20.10: never ask for more. */
    private static final String API_VERSION = "1.41";

    private final DockerClient client;

    public Docker(String dockerHost) {
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

    public record ContainerSpec(String name, String image, List<String> command, Map<String, String> env,
                                Map<String, String> labels, long memoryBytes, List<Bind> binds) {}

    public String run(ContainerSpec spec) {
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        HostConfig hc = HostConfig.newHostConfig().withNetworkMode("host").withInit(true);
        if (spec.memoryBytes() > 0) hc.withMemory(spec.memoryBytes());
        if (!spec.binds().isEmpty()) hc.withBinds(spec.binds());
        try (CreateContainerCmd cmd = client.createContainerCmd(spec.image())) {
            String id = cmd.withName(spec.name()).withEnv(env).withLabels(spec.labels())
                    .withCmd(spec.command()).withHostConfig(hc).exec().getId();
            client.startContainerCmd(id).exec();
            return id;
        }
    }

    /** A named volume or an absolute host path, mounted at {@code path}. */
    public static Bind bind(String volume, String path) {
        return new Bind(volume, new Volume(path));
    }

    public static Bind bindReadOnly(String volumeOrHostPath, String path) {
        return new Bind(volumeOrHostPath, new Volume(path), com.github.dockerjava.api.model.AccessMode.ro);
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

    /** Builds an image from a directory with a Dockerfile (host networking, no pulls); streams its output; returns the image id. */
    public String buildImage(java.nio.file.Path dir, String tag, Consumer<String> onLine) {
        return client.buildImageCmd(dir.toFile()).withTags(java.util.Set.of(tag)).withNetworkMode("host").withPull(false)
                .exec(new com.github.dockerjava.api.command.BuildImageResultCallback() {
                    @Override
                    public void onNext(com.github.dockerjava.api.model.BuildResponseItem item) {
                        if (item.getStream() != null) item.getStream().lines().filter(l -> !l.isBlank()).forEach(onLine);
                        super.onNext(item);
                    }
                }).awaitImageId();
    }

    /** The image's default command (entrypoint then cmd), as one shell line; empty if it has none. */
    public String defaultCommand(String image) {
        var config = client.inspectImageCmd(image).exec().getConfig();
        List<String> parts = new ArrayList<>();
        if (config != null && config.getEntrypoint() != null) parts.addAll(List.of(config.getEntrypoint()));
        if (config != null && config.getCmd() != null) parts.addAll(List.of(config.getCmd()));
        return String.join(" ", parts);
    }

    public void removeImage(String image) {
        try {
            client.removeImageCmd(image).withForce(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        }
    }

    public boolean hasImage(String image) {
        try {
            client.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    public List<Container> list(Map<String, String> labels) {
        return client.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
    }

    public InspectContainerResponse inspect(String id) {
        return client.inspectContainerCmd(id).exec();
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

    /** Streams a container's output, stdout and stderr interleaved, line by line. */
    public Closeable logs(String id, boolean follow, int tail, Consumer<String> onLine, Runnable onEnd) {
        var cmd = client.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(follow);
        if (tail >= 0) cmd.withTail(tail);
        return cmd.exec(new ResultCallback.Adapter<Frame>() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public void onNext(Frame frame) {
                partial.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
                int nl;
                while ((nl = partial.indexOf("\n")) >= 0) {
                    onLine.accept(partial.substring(0, nl));
                    partial.delete(0, nl + 1);
                }
            }

            @Override
            public void onComplete() {
                if (partial.length() > 0) onLine.accept(partial.toString());
                onEnd.run();
            }

            @Override
            public void onError(Throwable t) {
                onEnd.run();
            }
        });
    }

    /** Calls {@code onEvent} for every container event on containers carrying these labels. */
    public Closeable events(Map<String, String> labels, Consumer<Event> onEvent) {
        return client.eventsCmd().withLabelFilter(labels).withEventFilter("die", "start", "destroy")
                .exec(new ResultCallback.Adapter<Event>() {
                    @Override
                    public void onNext(Event event) {
                        onEvent.accept(event);
                    }
                });
    }

    @Override
    public void close() throws java.io.IOException {
        client.close();
    }
}
