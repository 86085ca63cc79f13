package dev.grid.controller.api;

import dev.grid.controller.domain.Hosts;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.List;

@Controller("/hosts")
public class HostsController {
    private final Hosts hosts;

    public HostsController(Hosts hosts) {
        this.hosts = hosts;
    }

    @Get
    public List<Hosts.HostView> list() {
        return hosts.list();
    }

    /** Declares a lost host gone for good: {@code grid hosts:remove HOST --confirm HOST [--accept-data-loss]}. */
    @Post("/{host}/remove")
    public Hosts.Removal remove(String host, @Body Requests.RemoveHost body) {
        return hosts.remove(host, body.confirm(), Boolean.TRUE.equals(body.acceptDataLoss()));
    }
}
