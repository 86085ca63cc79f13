package dev.grid.controller.api;

import dev.grid.controller.domain.AppDrains;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import java.util.List;

/** An app's log drains: {@code grid drains}, {@code drains:add URL}, {@code drains:remove URL|TOKEN}. */
@Controller("/apps/{app}/drains")
public class DrainsController {
    private final AppDrains drains;

    public DrainsController(AppDrains drains) {
        this.drains = drains;
    }

    @Get
    public List<AppDrains.View> list(String app) {
        return drains.list(app);
    }

    @Post
    public AppDrains.View add(String app, @Body Requests.AddDrain body) {
        return drains.add(app, body.url());
    }

    /** {@code ?drain=URL|TOKEN}: a URL does not fit in a path. */
    @Delete
    public AppDrains.View remove(String app, @QueryValue String drain) {
        return drains.remove(app, drain);
    }
}
