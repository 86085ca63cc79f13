package dev.grid.controller.domain;

import dev.grid.core.App;
import dev.grid.core.Formation;
import dev.grid.core.Release;
import dev.grid.core.Route;
import dev.grid.drains.Drains;
import dev.grid.store.Keys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What renaming an app changes in etcd, as a pure function of what the app has: its record
 * (same UID, same creation time), its releases (each {@code NEW-vN}, the same version), its
 * formation, its routes (each of its services {@code NEW.TYPE}, and its default route
 * {@code NEW.DOMAIN} if it still has it), its add-ons' attachments, its drains and its
 * maintenance mode. The releases are written first (a formation never names a release that is
 * not there), then the rest in one transaction, then the old releases go.
 */
final class AppRename {
    private AppRename() {}

    /** What the app has now. */
    record Current(App app, List<Release> releases, Formation formation, List<Route> routes, List<Addon> addons,
                   List<Drains.Drain> drains, Object maintenance) {}

    /** The writes: {@code releases} first, then {@code switchOver} (puts; null deletes) in one transaction, then {@code oldReleases} deleted. */
    record Plan(Map<String, Object> releases, Map<String, Object> switchOver, List<String> oldReleases) {}

    static Plan plan(Current now, String to, String domain) {
        String from = now.app().name();
        Map<String, Object> releases = new LinkedHashMap<>();
        Map<String, String> ids = new HashMap<>();
        List<String> oldReleases = new ArrayList<>();
        for (Release r : now.releases()) {
            String id = to + "-v" + r.version();
            ids.put(r.id(), id);
            releases.put(Keys.release(to, id), new Release(id, to, r.version(), r.image(), r.processes(), r.env(), r.createdAt(), r.description(), r.slugUrl()));
            oldReleases.add(Keys.release(from, r.id()));
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put(Keys.app(from), null);
        s.put(Keys.app(to), new App(to, now.app().createdAt(), now.app().uid()));
        if (now.app().uid() != null) s.put(Keys.uidClaim(now.app().uid()), to);
        if (now.formation() != null) {
            Formation f = now.formation();
            s.put(Keys.formation(from), null);
            s.put(Keys.formation(to), new Formation(to, f.releaseId() == null ? null : ids.getOrDefault(f.releaseId(), f.releaseId()), f.processes()));
        }
        for (Route r : now.routes()) {
            if (!App.appOf(r.service()).equals(from) || !r.service().contains(".")) continue;
            String service = App.service(to, r.service().substring(r.service().indexOf('.') + 1));
            boolean isDefault = r.id().equals(Routes.defaultRouteId(from)) && (from + "." + domain).equals(r.host());
            if (isDefault) {
                s.put(Keys.route(r.id()), null);
                String id = Routes.defaultRouteId(to);
                s.put(Keys.route(id), new Route(id, r.type(), to + "." + domain, r.path(), service, r.port(), r.leader(), r.createdAt(), r.listen(), r.timeoutSeconds()));
            } else {
                s.put(Keys.route(r.id()), new Route(r.id(), r.type(), r.host(), r.path(), service, r.port(), r.leader(), r.createdAt(), r.listen(), r.timeoutSeconds()));
            }
        }
        for (Addon a : now.addons()) {
            if (!a.attachments().containsKey(from)) continue;
            Map<String, Map<String, String>> attachments = new HashMap<>(a.attachments());
            attachments.put(to, attachments.remove(from));
            Map<String, String> aliases = new HashMap<>(a.aliases());
            if (aliases.containsKey(from)) aliases.put(to, aliases.remove(from));
            s.put(Addons.KEY + a.name(), a.withAttachments(attachments, aliases));
        }
        for (Drains.Drain d : now.drains()) {
            s.put(Keys.drains(from) + d.id(), null);
            s.put(Keys.drains(to) + d.id(), new Drains.Drain(d.id(), to, d.url(), d.createdAt()));
        }
        if (now.maintenance() != null) {
            s.put(Keys.maintenance(from), null);
            s.put(Keys.maintenance(to), now.maintenance());
        }
        return new Plan(releases, s, oldReleases);
    }
}
