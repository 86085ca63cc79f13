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
    private final dev.grid.controller.domain.Addons addons;

    public AppsController(Apps apps, Releases releases, Formations formations, Jobs jobs, dev.grid.controller.ControllerConfig config,
                          dev.grid.controller.domain.Addons addons) {
        this.config = config;
        this.addons = addons;
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

    /** {@code grid apps:rename OLD NEW}: {@code {"name": NEW}}. */
    @Post("/{app}/rename")
    public Map<String, Object> rename(String app, @Body Requests.CreateApp body) {
        App renamed = apps.rename(app, body.name());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", renamed.name());
        out.put("renamedFrom", app);
        out.put("gitUrl", config.gitUrl(renamed.name()));
        out.put("webUrl", "http://" + renamed.name() + "." + config.domain() + "/");
        return out;
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
        info.put("stack", config.stackImage());
        info.put("maintenance", apps.inMaintenance(app));
        info.put("addons", addons.list().stream().filter(a -> a.attachments().containsKey(app))
                .map(a -> Map.of("name", a.name(), "provider", a.provider(), "plan", a.plan() == null ? "" : a.plan())).toList());
        info.put("release", releases.current(app).orElse(null));
        info.put("formation", formations.get(app));
        info.put("jobs", jobs.list(app));
        return info;
    }

    /** maintenance:on and maintenance:off. */
    @io.micronaut.http.annotation.Put("/{app}/maintenance")
    public Map<String, Object> maintenance(String app, @Body Requests.Maintenance body) {
        if (body.enabled() == null) throw dev.grid.core.GridException.invalid("say whether maintenance mode is on: {\"enabled\": true} or false");
        apps.maintenance(app, body.enabled());
        return Map.of("app", app, "maintenance", body.enabled());
    }

    @Delete("/{app}")
    public HttpResponse<Map<String, String>> destroy(String app) {
        apps.destroy(app);
        return HttpResponse.ok(Map.of("destroyed", app));
    }
}
