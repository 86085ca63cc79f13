package dev.grid.controller.api;

import dev.grid.controller.domain.Certs;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import java.util.List;
import java.util.Map;

@Controller("/certs")
public class CertsController {
    private final Certs certs;

    public CertsController(Certs certs) {
        this.certs = certs;
    }

    @Get
    public List<Certs.CertInfo> list() {
        return certs.list();
    }

    @Post
    public HttpResponse<Certs.CertInfo> add(@Body Requests.AddCert body) {
        return HttpResponse.created(certs.add(body.domain(), body.cert(), body.key()));
    }

    @Delete("/{domain}")
    public Map<String, String> remove(String domain) {
        certs.remove(domain);
        return Map.of("removed", domain);
    }
}
