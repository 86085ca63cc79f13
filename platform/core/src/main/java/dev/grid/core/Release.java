package dev.grid.core;

import java.time.Instant;
import java.util.Map;

/**
 * Immutable: an artifact (an image, plus a slug — a tarball of /app — for apps
 * built from git), its config (env), its process types, and what made it
 * ("Deploy", "Set FOO config vars", "Rollback to v2").
 */
public record Release(String id, String app, int version, String image,
                      Map<String, ProcessType> processes, Map<String, String> env, Instant createdAt, String description,
                      String slugUrl) {
    public Release {
        processes = processes == null ? Map.of() : Map.copyOf(processes);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** The slug a job of {@code type} runs: the type's own ({@link ProcessType#slugUrl}), else the release's. */
    public String slugFor(String type) {
        ProcessType p = processes.get(type);
        return p != null && p.slugUrl() != null ? p.slugUrl() : slugUrl;
    }
}
