package dev.grid.controller.api;

import io.micronaut.context.annotation.Primary;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.stream.Collectors;

/** Errors Micronaut itself raises (unparsable JSON, bad routes) get Grid's one error shape: {"error": "..."}. */
@Primary
@Singleton
public class ErrorBody implements ErrorResponseProcessor<Map<String, String>> {
    @Override
    public MutableHttpResponse<Map<String, String>> processResponse(ErrorContext context, MutableHttpResponse<?> response) {
        String message = context.getErrors().stream().map(e -> e.getMessage()).map(ErrorBody::clean).collect(Collectors.joining("; "));
        if (message.isBlank()) message = response.getStatus().getReason();
        return response.body(Map.of("error", message));
    }

    /** Jackson's messages end with a source location that says nothing to an API user. */
    static String clean(String message) {
        if (message == null) return "";
        int at = message.indexOf("\n at [Source");
        String m = at >= 0 ? message.substring(0, at) : message;
        return m.startsWith("Invalid JSON: ") ? "invalid JSON body: " + m.substring("Invalid JSON: ".length()) : m;
    }
}
