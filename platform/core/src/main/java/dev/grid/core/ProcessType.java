package dev.grid.core;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How to run one process type of a release. The command runs under /bin/sh -c,
 * as on Heroku. Tags constrain placement to hosts carrying them; a process that
 * asks for volumes is bound to the host that holds them. {@code capabilities} are the Linux
 * capabilities a system app's data node keeps as root in its container (what its datastore
 * needs); the processes of apps never have any.
 */
public record ProcessType(String command, Map<String, String> tags, long memoryMb, List<VolumeMount> volumes, List<String> capabilities) {
    public static final long DEFAULT_MEMORY_MB = 256;
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,29}");

    public ProcessType {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        if (memoryMb <= 0) memoryMb = DEFAULT_MEMORY_MB;
    }

    public ProcessType(String command, Map<String, String> tags, long memoryMb, List<VolumeMount> volumes) {
        this(command, tags, memoryMb, volumes, List.of());
    }

    public static ProcessType of(String command) {
        return new ProcessType(command, Map.of(), DEFAULT_MEMORY_MB, List.of());
    }

    public static String typeProblem(String type) {
        if (type == null || !TYPE.matcher(type).matches())
            return "invalid process type '" + type + "': use lowercase letters, digits, '-' and '_', starting with a letter";
        return null;
    }
}
