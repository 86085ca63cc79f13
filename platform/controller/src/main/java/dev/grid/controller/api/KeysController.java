package dev.grid.controller.api;

import dev.grid.controller.domain.SshKeys;
import dev.grid.core.SshKey;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import java.util.List;

@Controller("/keys")
public class KeysController {
    private final SshKeys keys;

    public KeysController(SshKeys keys) {
        this.keys = keys;
    }

    @Get
    public List<SshKey> list() {
        return keys.list();
    }

    @Post
    public HttpResponse<SshKey> add(@Body Requests.AddKey body) {
        return HttpResponse.created(keys.add(body.publicKey()));
    }

    /** By fingerprint or comment, as a query parameter (fingerprints hold '/' and '+'). */
    @Delete
    public SshKey remove(@QueryValue String key) {
        return keys.remove(key);
    }
}
