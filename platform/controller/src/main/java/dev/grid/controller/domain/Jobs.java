package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import dev.grid.core.OneOffRun;
import dev.grid.core.Release;
import dev.grid.store.Keys;
import dev.grid.store.Snapshot;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Jobs of apps: listing, one-off runs, and logs fetched from the hosts that run them. */
@Singleton
public final class Jobs {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Store store;
    private final Apps apps;
    private final Releases releases;
    private final dev.grid.store.Credentials.Own credential;

    public Jobs(Store store, Apps apps, Releases releases, dev.grid.store.Credentials.Own credential) {
        this.store = store;
        this.apps = apps;
        this.releases = releases;
        this.credential = credential;
    }

    public List<JobView> list(String app) {
        apps.get(app);
        Snapshot jobs = store.list(Keys.JOBS);
        Map<String, JobStatus> statuses = store.values(Keys.STATUS, JobStatus.class).stream()
                .collect(Collectors.toMap(JobStatus::jobId, Function.identity(), (a, b) -> b));
        Stream<JobView> placed = jobs.values(Keys.JOBS, JobSpec.class).filter(j -> j.app().equals(app)).map(j -> JobView.of(j, statuses.get(j.id())));
        Stream<JobView> unplaced = store.values(Keys.UNPLACED + app + "/", dev.grid.core.Unplaced.class).stream().map(JobView::unplaced);
        return Stream.concat(placed, unplaced).sorted(Comparator.comparing(JobView::type).thenComparing(JobView::id)).toList();
    }

    public record RunResult(String jobId, int exitCode, String output) {}

    /** Runs the command once from the app's current release and waits for it to end. */
    public RunResult run(String app, String command, Duration timeout) {
        apps.get(app);
        // A one-off in a data node's app would run beside the datastore with the cluster's access.
        if (dev.grid.core.App.isSystem(app)) throw GridException.invalid(app + " is one of Grid's own apps: it runs no one-off commands");
        if (command == null || command.isBlank()) throw GridException.invalid("say what to run, e.g. grid run -a " + app + " ls");
        Release release = releases.current(app).orElseThrow(() -> GridException.invalid("app '" + app + "' has no release yet: deploy one first"));
        String id = app + "-run-" + UUID.randomUUID().toString().substring(0, 8);
        store.put(Keys.run(id), new OneOffRun(id, app, release.id(), command, Instant.now()));
        try {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                JobStatus s = store.get(Keys.status(id), JobStatus.class).orElse(null);
                if (s != null && s.state().isDown()) {
                    if (s.exitCode() == null) throw new GridException(500, "run failed to start: " + s.message());
                    String output = logs(jobSpec(id), false, -1).collect(Collectors.joining("\n", "", "\n"));
                    return new RunResult(id, s.exitCode(), output);
                }
                sleep(100);
            }
            throw new GridException(504, "the command did not finish within " + timeout.toSeconds() + " s");
        } finally {
            store.delete(Keys.run(id));
        }
    }

    private JobSpec jobSpec(String jobId) {
        return store.values(Keys.JOBS, JobSpec.class).stream().filter(j -> j.id().equals(jobId)).findFirst()
                .orElseThrow(() -> GridException.notFound("job " + jobId + " is gone"));
    }

    /** The app's log lines, each prefixed with its job, from every host that runs one of its jobs. */
    public Stream<String> appLogs(String app, boolean follow, int tail) {
        apps.get(app);
        List<JobSpec> jobs = store.values(Keys.JOBS, JobSpec.class).stream().filter(j -> j.app().equals(app)).toList();
        return jobs.stream().flatMap(j -> logs(j, follow, tail).map(line -> j.type() + "." + j.id() + ": " + line));
    }

    /** One job's output as lines, read from its host's log API. */
    public Stream<String> logs(JobSpec job, boolean follow, int tail) {
        HostInfo host = store.get(Keys.host(job.hostId()), HostInfo.class).orElse(null);
        if (host == null) return Stream.of("(host " + job.hostId() + " is down; its logs are unavailable)");
        URI uri = URI.create(host.apiUrl() + "/jobs/" + job.id() + "/logs?follow=" + follow + "&tail=" + tail);
        try {
            HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(uri).GET()
                    .header("Authorization", dev.grid.store.Credentials.header(credential.token())).build(), HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) return Stream.of("(no logs for " + job.id() + ": HTTP " + r.statusCode() + ")");
            return r.body();
        } catch (IOException e) {
            return Stream.of("(cannot reach host " + job.hostId() + ": " + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Stream.empty();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridException(503, "interrupted");
        }
    }
}
