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
    private final dev.grid.controller.ControllerConfig config;

    public AppsController(Apps apps, Releases releases, Formations formations, Jobs jobs, dev.grid.controller.ControllerConfig config) {
        this.config = config;
        this.apps = apps;
        this.releases = releases;
        this.formations = formations;
        this.jobs = jobs;
    }

    @Post
    public HttpResponse<Map<String, Object>> create(@Body Requests.CreateApp body) {
        App app = apps.create(body.name());
        Map<String, Object> created = new LinkedHashMap<>();
        created.put("name", app.name());
        created.put("createdAt", app.createdAt());
        created.put("gitUrl", config.gitUrl(app.name()));
        created.put("webUrl", "http://" + app.name() + "." + config.domain() + "/");
        return HttpResponse.created(created);
    }

    @Get
    public List<App> list() {
        return apps.list();
    }

    @Get("/{app}")
    public Map<String, Object> info(String app) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("app", apps.get(app));
        info.put("gitUrl", config.gitUrl(app));
        info.put("webUrl", "http://" + app + "." + config.domain() + "/");
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
