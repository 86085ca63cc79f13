package dev.grid.controller.api;

import dev.grid.controller.domain.Routes;
import dev.grid.core.GridException;
import dev.grid.core.Route;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.List;

@Controller("/routes")
public class RoutesController {
    private final Routes routes;

    public RoutesController(Routes routes) {
        this.routes = routes;
    }

    @Get
    public List<Route> list() {
        return routes.list();
    }

    @Post
    public HttpResponse<Route> add(@Body Requests.AddRoute body) {
        String type = body.type() == null ? "" : body.type().toLowerCase();
        return switch (type) {
            case "http" -> HttpResponse.created(routes.addHttp(body.host(), body.path(), body.service()));
            case "tcp" -> {
                if (body.host() != null || body.path() != null) throw GridException.invalid("a TCP route has no host or path");
                yield HttpResponse.created(routes.addTcp(body.service(), body.port(), Boolean.TRUE.equals(body.leader())));
            }
            default -> throw GridException.invalid("unknown route type '" + body.type() + "': use http or tcp");
        };
    }

    /** The app's HTTP routes give it this long to begin an answer (0: the router's 30 s). */
    @io.micronaut.http.annotation.Patch("/timeout")
    public List<Route> timeout(@Body Requests.RouteTimeout body) {
        return routes.setTimeout(body.app(), body.seconds());
    }

    @Delete("/{id}")
    public Route remove(String id) {
        return routes.remove(id);
    }
}
