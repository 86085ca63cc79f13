package dev.grid.controller.domain;

import java.time.Instant;
import java.util.Map;

/**
 * An add-on: a resource an appliance provisioned, and the apps it is attached to with
 * exactly the config each attachment set (so detaching removes only those keys, and
 * only where they are unchanged). Key addons/NAME.
 */
public record Addon(String name, String provider, String plan, String resourceId, Map<String, String> env,
                    Map<String, String> internal, Map<String, Map<String, String>> attachments, Instant createdAt) {
    public Addon {
        env = env == null ? Map.of() : Map.copyOf(env);
        internal = internal == null ? Map.of() : Map.copyOf(internal);
        attachments = attachments == null ? Map.of() : Map.copyOf(attachments);
    }

    public boolean provisioned() {
        return resourceId != null;
    }

    Addon withAttachments(Map<String, Map<String, String>> attachments) {
        return new Addon(name, provider, plan, resourceId, env, internal, attachments, createdAt);
    }

    Addon withEnv(Map<String, String> env, Map<String, Map<String, String>> attachments) {
        return new Addon(name, provider, plan, resourceId, env, internal, attachments, createdAt);
    }
}
