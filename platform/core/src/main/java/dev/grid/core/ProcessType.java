package dev.grid.core;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How to run one process type of a release. The command runs under /bin/sh -c,
 * as on Heroku. Tags constrain placement to hosts carrying them; a process that
 * asks for volumes is bound to the host that holds them. {@code capabilities} are the Linux
 * capabilities a system app's data node keeps as root in its container (what its datastore
 * needs); the processes of apps never have any. {@code slugUrl}, when set, is the slug this type runs
 * instead of its release's: a data node whose keeper is upgraded one node at a time
 * ({@code dev.grid.appliance.Upgrade}) runs the new keeper while the others still run the old one.
 */
public record ProcessType(String command, Map<String, String> tags, long memoryMb, List<VolumeMount> volumes, List<String> capabilities,
                          String slugUrl) {
    public static final long DEFAULT_MEMORY_MB = 256;
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,29}");

    public ProcessType {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        if (memoryMb <= 0) memoryMb = DEFAULT_MEMORY_MB;
    }

    public ProcessType(String command, Map<String, String> tags, long memoryMb, List<VolumeMount> volumes, List<String> capabilities) {
        this(command, tags, memoryMb, volumes, capabilities, null);
    }

    public ProcessType(String command, Map<String, String> tags, long memoryMb, List<VolumeMount> volumes) {
        this(command, tags, memoryMb, volumes, List.of());
    }

    /** The same process, running {@code slugUrl} rather than its release's slug. */
    public ProcessType withSlug(String slugUrl) {
        return new ProcessType(command, tags, memoryMb, volumes, capabilities, slugUrl);
    }

    /** The same process with {@code memoryMb} reserved and as its limit ({@code grid ps:resize}). */
    public ProcessType withMemory(long memoryMb) {
        return new ProcessType(command, tags, memoryMb, volumes, capabilities, slugUrl);
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
