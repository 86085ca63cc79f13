package dev.grid.controller.api;

import dev.grid.controller.domain.Formations;
import dev.grid.core.Formation;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Patch;

@Controller("/apps/{app}/formation")
public class FormationController {
    private final Formations formations;

    public FormationController(Formations formations) {
        this.formations = formations;
    }

    @Get
    public Formation get(String app) {
        return formations.get(app);
    }

    @Patch
    public Formations.Scaled scale(String app, @Body Requests.Scale body) {
        return formations.scaleAndCheck(app, body.processes());
    }
}
