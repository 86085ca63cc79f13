package dev.grid.controller.api;

import dev.grid.core.ProcessType;
import java.util.Map;

/** Request bodies. Unknown keys are refused (jackson failOnUnknownProperties). */
public final class Requests {
    private Requests() {}

    public record CreateApp(String name) {}

    public record AddDrain(String url) {}

    public record CreateRelease(String image, String slug, Map<String, ProcessRequest> processes, Map<String, String> env) {
        /** The processes as a release holds them. */
        public Map<String, ProcessType> types() {
            if (processes == null) return null;
            Map<String, ProcessType> out = new java.util.LinkedHashMap<>();
            processes.forEach((t, p) -> out.put(t, p == null ? null
                    : new ProcessType(p.command(), p.tags(), p.memoryMb() == null ? 0 : p.memoryMb(), p.volumes(), p.capabilities(), p.slugUrl())));
            return out;
        }

        /** The types whose size the request does not give: they keep the size they have ({@code grid ps:resize}). */
        public java.util.Set<String> unsized() {
            java.util.Set<String> out = new java.util.HashSet<>();
            if (processes != null) processes.forEach((t, p) -> {
                if (p != null && p.memoryMb() == null) out.add(t);
            });
            return out;
        }
    }

    /** A process type in a release request; without {@code memoryMb} it keeps the size the app's type has. */
    public record ProcessRequest(String command, Map<String, String> tags, Long memoryMb, java.util.List<dev.grid.core.VolumeMount> volumes,
                                 java.util.List<String> capabilities, String slugUrl) {}

    public record Resize(Map<String, Long> processes) {}

    public record Scale(Map<String, Integer> processes) {}

    public record Run(String command, Integer timeoutSeconds, Boolean detached) {}

    /** ps:restart and ps:stop: a process type or a job id; null for every job of the app (restart only). */
    public record Processes(String ps) {}

    public record Maintenance(Boolean enabled) {}

    public record ChangeConfig(Map<String, String> set, java.util.List<String> unset) {}

    public record Rollback(Integer version) {}

    public record AddKey(String publicKey) {}

    /** {@code confirm}: the host's id once more; {@code acceptDataLoss}: let a replica that may lack acknowledged writes be promoted. */
    public record RemoveHost(String confirm, Boolean acceptDataLoss) {}

    public record AddCert(String domain, String cert, String key) {}

    public record AddRoute(String type, String host, String path, String service, Integer port, Boolean leader) {}

    public record CreateAddon(String provider, String plan, String name, String app, String as, Map<String, String> options) {}

    public record Attach(String app, String as) {}

    public record RouteTimeout(String app, Integer seconds) {}

    public record Restore(String backup) {}

    public record BackupSchedule(String at, Integer keep) {}

    public record Kill(Boolean force) {}

    public record Confirm(String confirm) {}
}
