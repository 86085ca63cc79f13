package dev.grid.controller.domain;

import dev.grid.core.GridException;
import dev.grid.core.ProcessType;
import dev.grid.core.Release;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Releases are immutable. Every change an app's running code or config goes
 * through — a deploy, a config change, a rollback — makes a new release and
 * deploys it by pointing the app's formation at it.
 */
@Singleton
public final class Releases {
    private static final Pattern CONFIG_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private final Store store;
    private final Apps apps;

    public Releases(Store store, Apps apps) {
        this.store = store;
        this.apps = apps;
    }

    /** A release of new code; it keeps the app's config vars, with {@code env} set on top. */
    public Release create(String app, String image, String slugUrl, Map<String, ProcessType> processes, Map<String, String> env) {
        return create(app, image, slugUrl, processes, env, Set.of());
    }

    /** As above; the types in {@code unsized} (the request gave no size) keep their size ({@link Sizes}). */
    public Release create(String app, String image, String slugUrl, Map<String, ProcessType> processes, Map<String, String> env,
                          Set<String> unsized) {
        apps.get(app);
        if (image == null || image.isBlank()) throw GridException.invalid("an image is required: name a local Docker image");
        if (processes == null || processes.isEmpty()) throw GridException.invalid("a release needs at least one process type, e.g. web");
        for (var e : processes.entrySet()) {
            String problem = ProcessType.typeProblem(e.getKey());
            if (problem != null) throw GridException.invalid(problem);
            if (e.getValue() == null || e.getValue().command() == null || e.getValue().command().isBlank()) {
                throw GridException.invalid("process type '" + e.getKey() + "' has no command");
            }
            if (!e.getValue().capabilities().isEmpty() && !dev.grid.core.App.isSystem(app))
                throw GridException.invalid("process type '" + e.getKey() + "' asks for capabilities: an app's processes run with none");
            if (e.getValue().slugUrl() != null)
                throw GridException.invalid("process type '" + e.getKey() + "' names a slug of its own: a release's types share its slug (only the"
                        + " appliance managers give a data node its own, one node at a time, to upgrade its keeper)");
        }
        if (slugUrl != null && !slugUrl.startsWith("http://") && !slugUrl.startsWith("https://")) {
            throw GridException.invalid("invalid slug '" + slugUrl + "': give the http(s) URL of a slug tarball");
        }
        if (env != null) checkKeys(env.keySet());
        String description = slugUrl == null ? "Deploy " + image : "Deploy " + slugUrl.substring(slugUrl.lastIndexOf('/') + 1);
        // The config vars are those of the release current when it is written (a config:set meanwhile is kept).
        return change(app, current -> {
            Map<String, String> merged = new HashMap<>(current.map(Release::env).orElse(Map.of()));
            if (env != null) merged.putAll(env);
            return new dev.grid.store.Deploys.Next(image, slugUrl, Sizes.carried(processes, unsized, current), merged, description);
        });
    }

    /** The result of {@code ps:resize}: the release that holds the sizes, and what the hosts cannot take now. */
    public record Resized(String app, int version, Map<String, Long> sizes, java.util.List<String> warnings) {}

    /** Sets process types' sizes through a new release of the current code, deployed (its jobs replaced one after another). */
    public Resized resize(String app, Map<String, Long> sizes) {
        // A data node's size is its appliance's: a resize here would replace the nodes outside their manager's upgrade order.
        if (dev.grid.core.App.isSystem(app)) throw GridException.invalid(app + " is one of Grid's own apps: its sizes are its appliance's, not ps:resize's");
        Release checked = requireCurrent(app);
        Sizes.resized(checked, sizes); // refuse bad input before writing anything
        Release r = change(app, latest -> {
            Release current = latest.orElseThrow(() -> GridException.invalid("app '" + app + "' has no release yet: deploy one first"));
            return new dev.grid.store.Deploys.Next(current.image(), current.slugUrl(), Sizes.resized(current, sizes), current.env(), Sizes.description(sizes));
        });
        Map<String, Long> now = new java.util.TreeMap<>();
        r.processes().forEach((type, p) -> now.put(type, p.memoryMb()));
        return new Resized(app, r.version(), now, Formations.unplaceable(store.list(""), app));
    }

    /** Sets and unsets config vars through a new release of the current code. */
    public Release changeConfig(String app, Map<String, String> set, Collection<String> unset) {
        apps.get(app);
        Map<String, String> s = set == null ? Map.of() : set;
        Collection<String> u = unset == null ? List.of() : unset;
        if (s.isEmpty() && u.isEmpty()) throw GridException.invalid("say what to change, e.g. config:set KEY=VALUE or config:unset KEY");
        checkKeys(s.keySet());
        String what = !s.isEmpty() ? "Set " + String.join(", ", new java.util.TreeSet<>(s.keySet())) + " config vars"
                : "Remove " + String.join(", ", new java.util.TreeSet<>(u)) + " config vars";
        // Made from the release current when it is written: two config:set at once both count.
        return change(app, latest -> {
            // Before the first deploy (as on Heroku) config makes a release that runs nothing; the first push inherits it.
            Release current = latest.orElse(new Release(null, app, 0, null, Map.of(), Map.of(), null, null, null));
            for (String k : u) {
                if (!current.env().containsKey(k)) throw GridException.invalid("config var " + k + " is not set on " + app);
                if (s.containsKey(k)) throw GridException.invalid("config var " + k + " is both set and unset");
            }
            Map<String, String> env = new HashMap<>(current.env());
            env.putAll(s);
            u.forEach(env::remove);
            return new dev.grid.store.Deploys.Next(current.image(), current.slugUrl(), current.processes(), env, what);
        });
    }

    /** Deploys again the code and config of an earlier release (default: the one before the current), as a new release. */
    public Release rollback(String app, Integer version) {
        Release current = requireCurrent(app);
        int target = version == null ? current.version() - 1 : version;
        if (target < 1) throw GridException.invalid(app + " has no release before v" + current.version() + " to roll back to");
        if (target == current.version()) throw GridException.invalid("v" + target + " is the current release of " + app);
        Release to = get(app, target);
        String gone = SlugCollection.rollbackProblem(store.values(Keys.releases(app), Release.class), to);
        if (gone != null) throw GridException.invalid(gone);
        return deploy(app, to.image(), to.slugUrl(), to.processes(), to.env(), "Rollback to v" + target);
    }

    public Release get(String app, int version) {
        apps.get(app);
        return store.get(Keys.release(app, app + "-v" + version), Release.class)
                .orElseThrow(() -> GridException.notFound("no release v" + version + " of " + app + ": see 'grid releases -a " + app + "'"));
    }

    public Map<String, String> config(String app) {
        apps.get(app);
        return new TreeMap<>(current(app).map(Release::env).orElse(Map.of()));
    }

    public List<Release> list(String app) {
        apps.get(app);
        return store.values(Keys.releases(app), Release.class).stream()
                .sorted(Comparator.comparingInt(Release::version).reversed()).toList();
    }

    public Optional<Release> current(String app) {
        return dev.grid.store.Deploys.current(store, app);
    }

    private Release requireCurrent(String app) {
        apps.get(app);
        return current(app).orElseThrow(() -> GridException.invalid("app '" + app + "' has no release yet: deploy one first"));
    }

    private static void checkKeys(Collection<String> keys) {
        for (String k : keys) {
            if (!CONFIG_KEY.matcher(k).matches()) throw GridException.invalid("invalid config var name '" + k + "': use letters, digits and _, not starting with a digit");
        }
    }

    private Release change(String app, java.util.function.Function<Optional<Release>, dev.grid.store.Deploys.Next> next) {
        return dev.grid.store.Deploys.change(store, app, next)
                .orElseThrow(() -> GridException.conflict("too many concurrent releases of " + app + "; try again"));
    }

    private Release deploy(String app, String image, String slugUrl, Map<String, ProcessType> processes, Map<String, String> env, String description) {
        return dev.grid.store.Deploys.deploy(store, app, image, slugUrl, processes, env, description)
                .orElseThrow(() -> GridException.conflict("too many concurrent releases of " + app + "; try again"));
    }
}
