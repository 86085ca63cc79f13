package dev.grid.controller.api;

import dev.grid.controller.domain.Releases;
import dev.grid.core.Release;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.List;

@Controller("/apps/{app}/releases")
public class ReleasesController {
    private final Releases releases;

    public ReleasesController(Releases releases) {
        this.releases = releases;
    }

    /** Creates a release and deploys it. */
    @Post
    public HttpResponse<Release> create(String app, @Body Requests.CreateRelease body) {
        return HttpResponse.created(releases.create(app, body.image(), body.slug(), body.types(), body.env(), body.unsized()));
    }

    @Get
    public List<Release> list(String app) {
        return releases.list(app);
    }

    /** One release; {@code version} is N or vN. */
    @Get("/{version}")
    public Release get(String app, String version) {
        return releases.get(app, parseVersion(version));
    }

    @Post("/rollback")
    public HttpResponse<Release> rollback(String app, @Body Requests.Rollback body) {
        return HttpResponse.created(releases.rollback(app, body.version()));
    }

    static int parseVersion(String v) {
        try {
            return Integer.parseInt(v.startsWith("v") ? v.substring(1) : v);
        } catch (NumberFormatException e) {
            throw dev.grid.core.GridException.invalid("invalid release '" + v + "': use vN, e.g. v3");
        }
    }
}
