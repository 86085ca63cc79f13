package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.HostInfo;
import dev.grid.core.JobSpec;
import dev.grid.core.JobStatus;
import dev.grid.core.LogTimes;
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

    /** Whether {@code ps} (a process type, a job id, or null for any) names the job: as ps:restart, ps:stop and logs --ps take it. */
    private static boolean named(JobSpec j, String ps) {
        return ps == null || ps.equals(j.type()) || ps.equals(j.id());
    }

    /**
     * Asks the scheduler to restart ({@link Keys#RESTART}) or stop ({@link Keys#STOP}) the app's jobs
     * that {@code ps} names: a process type, a job id, or (null) every one. Returns their ids.
     */
    public List<String> restart(String app, String ps, String mode) {
        apps.get(app);
        if (dev.grid.core.App.isSystem(app)) throw GridException.invalid(app + " is one of Grid's own apps: its nodes are restarted by its appliance");
        String only = ps == null || ps.isBlank() ? null : ps.strip();
        List<JobSpec> chosen = store.values(Keys.JOBS, JobSpec.class).stream()
                .filter(j -> j.app().equals(app) && !j.oneOff() && named(j, only))
                .sorted(Comparator.comparing(JobSpec::type).thenComparing(JobSpec::id)).toList();
        if (chosen.isEmpty()) {
            throw GridException.notFound(only == null ? "app '" + app + "' has no job running: nothing to " + mode
                    : "app '" + app + "' has no process type or job '" + only + "': grid ps -a " + app + " lists them");
        }
        for (JobSpec j : chosen) store.put(Keys.restartJob(j.id()), Map.of("mode", mode, "at", Instant.now().toString()));
        return chosen.stream().map(j -> j.type() + "." + j.id()).toList();
    }

    /** Runs the command once from the app's current release and waits for it to end. */
    public RunResult run(String app, String command, Duration timeout) {
        String id = startRun(app, command, false);
        try {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                JobStatus s = store.get(Keys.status(id), JobStatus.class).orElse(null);
                if (s != null && s.state().isDown()) {
                    if (s.exitCode() == null) throw new GridException(500, "run failed to start: " + s.message());
                    String output = logs(jobSpec(id), false, -1, false).collect(Collectors.joining("\n", "", "\n"));
                    return new RunResult(id, s.exitCode(), output);
                }
                sleep(100);
            }
            throw new GridException(504, "the command did not finish within " + timeout.toSeconds() + " s");
        } finally {
            store.delete(Keys.run(id));
        }
    }

    /**
     * Starts the command once from the app's current release and returns its job's id at once
     * ({@code grid run:detached}): its output is in the app's log ({@code grid logs --ps JOB}); the
     * scheduler ends the run {@link dev.grid.scheduler.Reconciler#DETACHED_KEPT} after it exits.
     */
    public String runDetached(String app, String command) {
        return startRun(app, command, true);
    }

    /**
     * Starts an attached run ({@code grid run}): its container waits for its caller, whom
     * {@link RunSession} connects to it. The caller ends the run ({@link #endRun}).
     */
    public String startAttached(String app, String command, OneOffRun.Stdio stdio) {
        return startRun(app, command, false, stdio);
    }

    /** The run is over for its caller: its job goes (a command still running is stopped). */
    public void endRun(String id) {
        store.delete(Keys.run(id));
    }

    private String startRun(String app, String command, boolean detached) {
        return startRun(app, command, detached, null);
    }

    private String startRun(String app, String command, boolean detached, OneOffRun.Stdio stdio) {
        apps.get(app);
        // A one-off in a data node's app would run beside the datastore with the cluster's access.
        if (dev.grid.core.App.isSystem(app)) throw GridException.invalid(app + " is one of Grid's own apps: it runs no one-off commands");
        if (command == null || command.isBlank()) throw GridException.invalid("say what to run, e.g. grid run -a " + app + " ls");
        Release release = releases.current(app).orElseThrow(() -> GridException.invalid("app '" + app + "' has no release yet: deploy one first"));
        String id = app + "-run-" + UUID.randomUUID().toString().substring(0, 8);
        store.put(Keys.run(id), new OneOffRun(id, app, release.id(), command, Instant.now(), detached, stdio));
        return id;
    }

    private JobSpec jobSpec(String jobId) {
        return store.values(Keys.JOBS, JobSpec.class).stream().filter(j -> j.id().equals(jobId)).findFirst()
                .orElseThrow(() -> GridException.notFound("job " + jobId + " is gone"));
    }

    /**
     * The app's log: its jobs' output, each line {@code TIME TYPE.JOB: LINE}, and the access lines of
     * every router ({@code TIME router: at=info ...}), merged by time; the last {@code tail} lines
     * (all if negative), and with {@code follow} every new one. {@code ps} keeps a process type's or
     * a job's lines (and the router lines of requests it answered); {@code source} is {@code app},
     * {@code router}, or null for both.
     */
    public Stream<String> appLogs(String app, boolean follow, int tail, String ps, String source) {
        apps.get(app);
        LogStreams.Source chosen = LogStreams.Source.parse(source);
        String only = ps == null || ps.isBlank() ? null : ps;
        List<java.util.function.Supplier<Stream<String>>> sources = new java.util.ArrayList<>();
        if (LogStreams.Source.includes(chosen, LogStreams.Source.APP)) {
            for (JobSpec j : store.values(Keys.JOBS, JobSpec.class)) {
                if (!j.app().equals(app) || !named(j, only)) continue;
                String prefix = j.type() + "." + j.id() + ": ";
                sources.add(() -> logs(j, follow, tail, true).map(line -> LogTimes.timed(line)
                        ? line.substring(0, LogTimes.WIDTH + 1) + prefix + line.substring(Math.min(line.length(), LogTimes.WIDTH + 1))
                        : prefix + line));
            }
        }
        if (LogStreams.Source.includes(chosen, LogStreams.Source.ROUTER)) {
            for (Map<?, ?> router : store.values(Keys.ROUTERS, Map.class)) {
                Object url = router.get("logsUrl");
                if (url == null) continue; // a router of an earlier Grid keeps no lines
                String query = "?follow=" + follow + "&tail=" + tail + (only == null ? "" : "&ps=" + java.net.URLEncoder.encode(only, java.nio.charset.StandardCharsets.UTF_8));
                // An empty line is a follower's heartbeat (no access line is empty): dropped.
                sources.add(() -> lines(URI.create(url + "/apps/" + app + "/logs" + query), "router " + router.get("host")).filter(l -> !l.isEmpty()));
            }
        }
        // Read when the stream is (on the answer's own thread), not here. Not with flatMap: an
        // iterator over a flatMap reads the inner stream whole first, and a followed one never ends.
        Stream<String>[] opened = new Stream[1];
        return java.util.stream.StreamSupport.stream(() -> (opened[0] = follow ? LogStreams.follow(sources, tail) : LogStreams.read(sources, tail)).spliterator(),
                java.util.Spliterator.ORDERED, false).onClose(() -> {
                    if (opened[0] != null) opened[0].close();
                });
    }

    /** One job's output as lines, read from its host's log API; with {@code timestamps} each begins with its time. */
    public Stream<String> logs(JobSpec job, boolean follow, int tail, boolean timestamps) {
        HostInfo host = store.get(Keys.host(job.hostId()), HostInfo.class).orElse(null);
        if (host == null) return Stream.of("(host " + job.hostId() + " is down; its logs are unavailable)");
        return lines(URI.create(host.apiUrl() + "/jobs/" + job.id() + "/logs?follow=" + follow + "&tail=" + tail + "&timestamps=" + timestamps),
                "host " + job.hostId());
    }

    /** The lines a part's {@link dev.grid.net.LineServer} gives at {@code uri}; one that cannot be read gives the line that says why. */
    private Stream<String> lines(URI uri, String part) {
        try {
            HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(uri).GET()
                    .header("Authorization", dev.grid.store.Credentials.header(credential.token())).build(), HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                r.body().close();
                return Stream.of("(no logs from " + part + ": HTTP " + r.statusCode() + ")");
            }
            return r.body();
        } catch (IOException e) {
            return Stream.of("(cannot reach " + part + ": " + e.getMessage() + ")");
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
