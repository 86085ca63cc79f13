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
        return HttpResponse.created(releases.create(app, body.image(), body.processes(), body.env()));
    }

    @Get
    public List<Release> list(String app) {
        return releases.list(app);
    }
}
