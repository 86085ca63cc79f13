package dev.grid.controller.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.grid.core.GridException;
import dev.grid.store.StoreException;
import io.micronaut.context.annotation.Replaces;
import io.micronaut.core.convert.exceptions.ConversionErrorException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Error;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.codec.CodecException;
import java.util.Map;

/** Maps failures to status codes with one JSON shape: {"error": "what went wrong and what to do"}. */
@Controller
public class Errors {
    @Get("/health")
    public Map<String, String> health() {
        return Map.of("status", "ok");
    }

    @Error(global = true)
    public HttpResponse<Map<String, String>> grid(HttpRequest<?> request, GridException e) {
        return HttpResponse.<Map<String, String>>status(HttpStatus.valueOf(e.status())).body(Map.of("error", e.getMessage()));
    }

    @Error(global = true)
    public HttpResponse<Map<String, String>> badJson(HttpRequest<?> request, CodecException e) {
        return HttpResponse.badRequest(Map.of("error", "invalid JSON body: " + rootMessage(e)));
    }

    @Error(global = true)
    public HttpResponse<Map<String, String>> badJson(HttpRequest<?> request, JsonProcessingException e) {
        return HttpResponse.badRequest(Map.of("error", "invalid JSON body: " + e.getOriginalMessage()));
    }

    @Error(global = true)
    public HttpResponse<Map<String, String>> conversion(HttpRequest<?> request, ConversionErrorException e) {
        return HttpResponse.badRequest(Map.of("error", "invalid request body: " + rootMessage(e)));
    }

    @Error(global = true)
    public HttpResponse<Map<String, String>> store(HttpRequest<?> request, StoreException e) {
        return HttpResponse.<Map<String, String>>status(HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("error", "etcd is unavailable: " + e.getMessage()));
    }

    @Error(status = HttpStatus.NOT_FOUND, global = true)
    public HttpResponse<Map<String, String>> notFound(HttpRequest<?> request) {
        return HttpResponse.notFound(Map.of("error", "no such endpoint: " + request.getMethod() + " " + request.getPath()));
    }

    /** The innermost message, with the JSON field path when Jackson knows it (e.g. "processes.web"). */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        if (t instanceof com.fasterxml.jackson.databind.JsonMappingException j && !j.getPath().isEmpty()) {
            String path = j.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(java.util.stream.Collectors.joining("."));
            return path + ": " + j.getOriginalMessage();
        }
        String m = t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
