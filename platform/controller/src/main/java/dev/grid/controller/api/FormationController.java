package dev.grid.controller.api;

import dev.grid.controller.domain.Formations;
import dev.grid.core.Formation;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;
import io.micronaut.http.annotation.Post;

@Controller("/apps/{app}/formation")
public class FormationController {
    private final Formations formations;
    private final dev.grid.controller.domain.Releases releases;

    public FormationController(Formations formations, dev.grid.controller.domain.Releases releases) {
        this.formations = formations;
        this.releases = releases;
    }

    @Get
    public Formation get(String app) {
        return formations.get(app);
    }

    @Patch
    public Formations.Scaled scale(String app, @Body Requests.Scale body) {
        return formations.scaleAndCheck(app, body.processes());
    }

    /** Sizes (MB) of process types, through a new release: {@code grid ps:resize}. */
    @Post("/sizes")
    public dev.grid.controller.domain.Releases.Resized resize(String app, @Body Requests.Resize body) {
        return releases.resize(app, body.processes());
    }
}
