package dev.grid.controller.api;

import dev.grid.controller.domain.Apps;
import dev.grid.controller.domain.Formations;
import dev.grid.controller.domain.Jobs;
import dev.grid.controller.domain.Releases;
import dev.grid.core.App;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Controller("/apps")
public class AppsController {
    private final Apps apps;
    private final Releases releases;
    private final Formations formations;
    private final Jobs jobs;

    public AppsController(Apps apps, Releases releases, Formations formations, Jobs jobs) {
        this.apps = apps;
        this.releases = releases;
        this.formations = formations;
        this.jobs = jobs;
    }

    @Post
    public HttpResponse<App> create(@Body Requests.CreateApp body) {
        return HttpResponse.created(apps.create(body.name()));
    }

    @Get
    public List<App> list() {
        return apps.list();
    }

    @Get("/{app}")
    public Map<String, Object> info(String app) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("app", apps.get(app));
        info.put("release", releases.current(app).orElse(null));
        info.put("formation", formations.get(app));
        info.put("jobs", jobs.list(app));
        return info;
    }

    @Delete("/{app}")
    public HttpResponse<Map<String, String>> destroy(String app) {
        apps.destroy(app);
        return HttpResponse.ok(Map.of("destroyed", app));
    }
}
