package dev.grid.appliance;

import java.util.List;
import java.util.Map;

/**
 * What the controller calls for an appliance's add-ons, in the shape of Flynn's provider
 * protocol: provision a resource and return its id and env, deprovision it, describe it.
 * Binding to apps (merging the env into a release, and removing exactly those keys again)
 * is the controller's, so every appliance gets it the same way.
 */
public interface Provider {
    List<String> plans();

    default String defaultPlan() {
        return plans().get(0);
    }

    /** The names of the options {@link #provision} takes (e.g. Redis's replicas); none by default. */
    default List<String> options() {
        return List.of();
    }

    /**
     * Creates a resource for the add-on {@code addon} and returns once its credentials work.
     * {@code plan} is one of {@link #plans()} and {@code options} are among {@link #options()}:
     * the controller refuses anything else before calling. A bad option value is refused with
     * {@link IllegalArgumentException} before anything is made.
     * {@code progress} receives lines for the person waiting.
     */
    Resource provision(String addon, String plan, Map<String, String> options, java.util.function.Consumer<String> progress) throws Exception;

    /** Deletes the resource and its data. */
    void deprovision(Resource resource) throws Exception;

    /** What {@code grid addons:info} shows: topology, roles, lag, generation, last failover, promises. */
    Map<String, Object> info(Resource resource);

    /**
     * The services whose TCP routes the add-on's clients connect to ({@link Platform#tcpEndpoint}):
     * what {@code addons:expose} opens beyond where apps reach add-ons. A shared cluster's is
     * every tenant's. None by default.
     */
    default List<String> services(Resource resource) {
        return List.of();
    }

    /**
     * Brings a resource an earlier version provisioned up to what this version provisions (a
     * limit it did not set, a URL of today's form) and returns the config its apps should have
     * now; the controller sets what changed on every attached app that still holds what the
     * attachment set. Called for every resource after the controller starts, again until it
     * returns; it must be idempotent and leave an operator's own settings alone.
     */
    default Map<String, String> upgrade(Resource resource) throws Exception {
        return resource.env();
    }

    /**
     * The config the resource's apps should have now, given what its cluster is now (Postgres:
     * TLS, and its CA, once the cluster first spans hosts). The controller calls it every 15 s
     * for every resource and sets what changed on the attached apps by a new release, so it
     * must be cheap (no datastore connection) and idempotent. The env as provisioned by default.
     */
    default Map<String, String> currentEnv(Resource resource) throws Exception {
        return resource.env();
    }

    /**
     * Changes what a resource's users set through Grid rather than in the datastore, where their
     * credentials may not (Redis's {@code maxmemory-policy}, as {@code heroku redis:maxmemory}).
     * {@code changes} maps setting names to new values; an unknown name or a value the datastore
     * does not take is refused with {@link IllegalArgumentException} before anything changes.
     * Returns every setting now. A provider with no settings refuses every change.
     */
    default Map<String, String> configure(Resource resource, Map<String, String> changes) throws Exception {
        throw new IllegalArgumentException("this add-on has no settings to change");
    }

    /** Backups, if the datastore has them; the controller keeps the files in the blob store. */
    default java.util.Optional<Backups> backups() {
        return java.util.Optional.empty();
    }

    /** Dumping a resource to a file and restoring it from one. */
    interface Backups {
        /** What a backup file is, for people: what {@code backups:restore --file} takes and {@code backups:download} gives. */
        default String fileFormat() {
            return "a dump of this add-on's kind";
        }

        void dump(Resource resource, java.nio.file.Path to) throws Exception;

        /**
         * Replaces the resource's data with the dump's, all or nothing. A file that is not a
         * valid dump is refused with {@link IllegalArgumentException} before anything changes.
         */
        void restore(Resource resource, java.nio.file.Path from) throws Exception;
    }

    /** New credentials for a resource, if the datastore can have two at once while its apps roll over. */
    default java.util.Optional<Credentials> credentials() {
        return java.util.Optional.empty();
    }

    /**
     * Rotating a resource's credentials without a moment in which its apps cannot sign in: a new
     * login first, which works beside the old one; the old one retired once the apps use the new.
     */
    interface Credentials {
        /** Makes a new login and returns the resource with it (its env and internal); every earlier login still works. */
        Resource rotate(Resource resource) throws Exception;

        /** Ends every login of the resource but the one {@code current} has: their passwords stop working and their sessions end. */
        void retire(Resource current) throws Exception;
    }

    /** A resource's live sessions, if the datastore shows them (Postgres: pg:ps, pg:kill, pg:locks). */
    default java.util.Optional<Sessions> sessions() {
        return java.util.Optional.empty();
    }

    /**
     * The sessions of one resource only: on a shared cluster, never another tenant's. Each row is
     * a map of column names to values, in the order to show them.
     */
    interface Sessions {
        /** Its sessions and what each runs. */
        List<Map<String, Object>> list(Resource resource) throws Exception;

        /** The sessions that hold exclusive locks, and on what. */
        List<Map<String, Object>> locks(Resource resource) throws Exception;

        /**
         * Cancels the session's query, or with {@code terminate} ends the session. A pid that is not
         * one of this resource's sessions is refused with {@link IllegalArgumentException}.
         */
        void kill(Resource resource, long pid, boolean terminate) throws Exception;
    }

    /** A provisioned resource: its id, the env apps get, and what the provider needs to find it again. */
    record Resource(String id, Map<String, String> env, Map<String, String> internal) {
        public Resource {
            env = Map.copyOf(env);
            internal = internal == null ? Map.of() : Map.copyOf(internal);
        }
    }
}
