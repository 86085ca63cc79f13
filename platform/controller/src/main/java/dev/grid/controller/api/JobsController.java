package dev.grid.controller.api;

import dev.grid.controller.domain.JobView;
import dev.grid.controller.domain.Jobs;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

@Controller("/apps/{app}")
public class JobsController {
    private final Jobs jobs;

    public JobsController(Jobs jobs) {
        this.jobs = jobs;
    }

    @Get("/jobs")
    public List<JobView> list(String app) {
        return jobs.list(app);
    }

    /** ps:restart: a rolling restart of the app's jobs, of one type, or one job; the jobs it restarts. */
    @Post("/ps/restart")
    public List<String> restart(String app, @Body Requests.Processes body) {
        return jobs.restart(app, body.ps(), dev.grid.store.Keys.RESTART);
    }

    /** ps:stop: stops a job (or every job of a type) now; the scheduler places a replacement. */
    @Post("/ps/stop")
    public List<String> stop(String app, @Body Requests.Processes body) {
        if (body.ps() == null || body.ps().isBlank()) throw dev.grid.core.GridException.invalid("say which job or process type to stop, e.g. grid ps:stop -a " + app + " web");
        return jobs.restart(app, body.ps(), dev.grid.store.Keys.STOP);
    }

    @Post("/run")
    public Jobs.RunResult run(String app, @Body Requests.Run body) {
        if (Boolean.TRUE.equals(body.detached())) return new Jobs.RunResult(jobs.runDetached(app, body.command()), -1, null);
        int timeout = body.timeoutSeconds() == null ? 600 : body.timeoutSeconds();
        return jobs.run(app, body.command(), Duration.ofSeconds(timeout));
    }

    /** Streams the app's logs as text, line by line; with follow=true it stays open. ps and source filter them (see {@link Jobs#appLogs}). */
    @Get(value = "/logs", produces = MediaType.TEXT_PLAIN)
    public Flux<String> logs(String app, @QueryValue(defaultValue = "false") boolean follow, @Nullable @QueryValue Integer tail,
                             @Nullable @QueryValue String ps, @Nullable @QueryValue String source) {
        var lines = jobs.appLogs(app, follow, tail == null ? -1 : tail, ps, source);
        return Flux.fromStream(lines).map(line -> line + "\n").subscribeOn(Schedulers.boundedElastic());
    }
}
