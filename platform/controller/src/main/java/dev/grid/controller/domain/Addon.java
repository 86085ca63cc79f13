package dev.grid.controller.domain;

import java.time.Instant;
import java.util.Map;

/**
 * An add-on: a resource an appliance provisioned, and the apps it is attached to with
 * exactly the config each attachment set (so detaching removes only those keys, and
 * only where they are unchanged), and the name of each attachment that has one
 * ({@code --as}: {@link AttachmentVars}). Key addons/NAME.
 */
public record Addon(String name, String provider, String plan, String resourceId, Map<String, String> env,
                    Map<String, String> internal, Map<String, Map<String, String>> attachments, Instant createdAt,
                    Map<String, String> aliases) {
    public Addon {
        env = env == null ? Map.of() : Map.copyOf(env);
        internal = internal == null ? Map.of() : Map.copyOf(internal);
        attachments = attachments == null ? Map.of() : Map.copyOf(attachments);
        aliases = aliases == null ? Map.of() : Map.copyOf(aliases);
    }

    /** The name of the attachment to {@code app}, or null if it has none (its vars are the add-on's own). */
    public String alias(String app) {
        return aliases.get(app);
    }

    /** The vars an attachment to {@code app} sets from the add-on's {@code env}. */
    Map<String, String> varsFor(String app, Map<String, String> env) {
        return AttachmentVars.of(env, alias(app));
    }

    public boolean provisioned() {
        return resourceId != null;
    }

    Addon withAttachments(Map<String, Map<String, String>> attachments, Map<String, String> aliases) {
        return new Addon(name, provider, plan, resourceId, env, internal, attachments, createdAt, aliases);
    }

    Addon withEnv(Map<String, String> env, Map<String, Map<String, String>> attachments) {
        return new Addon(name, provider, plan, resourceId, env, internal, attachments, createdAt, aliases);
    }

    Addon withInternal(Map<String, String> internal) {
        return new Addon(name, provider, plan, resourceId, env, internal, attachments, createdAt, aliases);
    }
}
