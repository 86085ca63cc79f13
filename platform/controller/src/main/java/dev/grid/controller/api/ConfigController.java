package dev.grid.controller.api;

import dev.grid.controller.domain.Releases;
import dev.grid.core.Release;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import java.util.Map;

/** An app's config vars: those of its current release; changing them makes a new release. */
@Controller("/apps/{app}/config")
public class ConfigController {
    private final Releases releases;

    public ConfigController(Releases releases) {
        this.releases = releases;
    }

    @Get
    public Map<String, String> get(String app) {
        return releases.config(app);
    }

    @Patch
    public Release change(String app, @Body Requests.ChangeConfig body) {
        return releases.changeConfig(app, body.set(), body.unset());
    }
}
