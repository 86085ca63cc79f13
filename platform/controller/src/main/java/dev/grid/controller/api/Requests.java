package dev.grid.controller.api;

import dev.grid.core.ProcessType;
import java.util.Map;

/** Request bodies. Unknown keys are refused (jackson failOnUnknownProperties). */
public final class Requests {
    private Requests() {}

    public record CreateApp(String name) {}

    public record CreateRelease(String image, String slug, Map<String, ProcessType> processes, Map<String, String> env) {}

    public record Scale(Map<String, Integer> processes) {}

    public record Run(String command, Integer timeoutSeconds) {}

    public record ChangeConfig(Map<String, String> set, java.util.List<String> unset) {}

    public record Rollback(Integer version) {}

    public record AddKey(String publicKey) {}

    /** {@code confirm}: the host's id once more; {@code acceptDataLoss}: let a replica that may lack acknowledged writes be promoted. */
    public record RemoveHost(String confirm, Boolean acceptDataLoss) {}

    public record AddCert(String domain, String cert, String key) {}

    public record AddRoute(String type, String host, String path, String service, Integer port, Boolean leader) {}

    public record CreateAddon(String provider, String plan, String name, String app, Map<String, String> options) {}

    public record Attach(String app) {}

    public record RouteTimeout(String app, Integer seconds) {}

    public record Restore(String backup) {}
}
