package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.App;
import dev.grid.core.Formation;
import dev.grid.core.Release;
import dev.grid.core.Route;
import dev.grid.drains.Drains;
import dev.grid.store.Keys;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppRenameTest {
    private static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

    private static Release release(String app, int v) {
        return new Release(app + "-v" + v, app, v, "img", Map.of(), Map.of("DATABASE_URL", "postgres://x"), T, "Deploy " + v, "http://blobs/s" + v + ".tgz");
    }

    private AppRename.Current shop() {
        App app = new App("shop", T, 200007);
        Route web = Route.http("shop-web", "shop.grid.test", "/", "shop.web").withTimeout(60);
        Route custom = Route.http("http-1", "www.shop.example", "/", "shop.web");
        Route api = Route.http("http-2", "api.shop.example", "/v1", "shop.api");
        Route tcp = Route.tcp("tcp-1", 30001, "shop.redis", true);
        Route other = Route.http("blog-web", "blog.grid.test", "/", "blog.web");
        Route prefixed = Route.http("shopping-web", "shopping.grid.test", "/", "shopping.web");
        Addon db = new Addon("shop-db", "postgres", "standard", "r1", Map.of("DATABASE_URL", "postgres://x"), Map.of(),
                Map.of("shop", Map.of("REPORTS_URL", "postgres://x"), "blog", Map.of("DATABASE_URL", "postgres://x")), T, Map.of("shop", "REPORTS"));
        Addon blogOnly = new Addon("blog-kv", "redis", null, "r2", Map.of(), Map.of(), Map.of("blog", Map.of()), T, null);
        return new AppRename.Current(app, List.of(release("shop", 1), release("shop", 2)), new Formation("shop", "shop-v2", Map.of("web", 2)),
                List.of(web, custom, api, tcp, other, prefixed), List.of(db, blogOnly),
                List.of(new Drains.Drain("d.1", "shop", "syslog://logs:514", T)), Map.of("since", "x"));
    }

    @Test
    void everythingOfTheAppFollowsItsNewNameAndNothingOfAnotherApp() {
        AppRename.Plan plan = AppRename.plan(shop(), "store", "grid.test");
        assertEquals(List.of(Keys.release("store", "store-v1"), Keys.release("store", "store-v2")), List.copyOf(plan.releases().keySet()));
        Release v2 = (Release) plan.releases().get(Keys.release("store", "store-v2"));
        assertEquals(2, v2.version());
        assertEquals("store", v2.app());
        assertEquals(Map.of("DATABASE_URL", "postgres://x"), v2.env(), "its config, add-ons' included, goes with it");
        assertEquals("http://blobs/s2.tgz", v2.slugUrl(), "the same slug: nothing is built again");
        assertEquals(List.of(Keys.release("shop", "shop-v1"), Keys.release("shop", "shop-v2")), plan.oldReleases());

        Map<String, Object> s = plan.switchOver();
        assertTrue(s.containsKey(Keys.app("shop")) && s.get(Keys.app("shop")) == null);
        assertEquals(new App("store", T, 200007), s.get(Keys.app("store")), "the same UID: its files, cache and repository stay its own");
        assertEquals("store", s.get(Keys.uidClaim(200007)));
        assertEquals(new Formation("store", "store-v2", Map.of("web", 2)), s.get(Keys.formation("store")));
        assertNull(s.get(Keys.formation("shop")));

        assertNull(s.get(Keys.route("shop-web")), "the default route goes...");
        Route web = (Route) s.get(Keys.route("store-web"));
        assertEquals("store.grid.test", web.host(), "...for NEW.DOMAIN");
        assertEquals("store.web", web.service());
        assertEquals(60, web.timeoutSeconds(), "with its settings");
        assertEquals("www.shop.example", ((Route) s.get(Keys.route("http-1"))).host(), "a custom domain stays");
        assertEquals("store.web", ((Route) s.get(Keys.route("http-1"))).service());
        assertEquals("store.api", ((Route) s.get(Keys.route("http-2"))).service());
        Route tcp = (Route) s.get(Keys.route("tcp-1"));
        assertEquals("store.redis", tcp.service());
        assertEquals(30001, tcp.port(), "a TCP route keeps its port");
        assertFalse(s.containsKey(Keys.route("blog-web")));
        assertFalse(s.containsKey(Keys.route("shopping-web")), "an app whose name starts with the same letters is another app");

        Addon db = (Addon) s.get(Addons.KEY + "shop-db");
        assertEquals(java.util.Set.of("store", "blog"), db.attachments().keySet(), "the attachment follows; the other app's stays");
        assertEquals(Map.of("store", "REPORTS"), db.aliases(), "and its name with it");
        assertFalse(s.containsKey(Addons.KEY + "blog-kv"));
        assertNull(s.get(Keys.drains("shop") + "d.1"));
        assertEquals(new Drains.Drain("d.1", "store", "syslog://logs:514", T), s.get(Keys.drains("store") + "d.1"));
        assertEquals(Map.of("since", "x"), s.get(Keys.maintenance("store")));
        assertTrue(s.containsKey(Keys.maintenance("shop")) && s.get(Keys.maintenance("shop")) == null);
    }

    @Test
    void anAppWithoutADefaultRouteGetsNoneAndOneThatMovedItsDefaultRouteKeepsThatHost() {
        AppRename.Current now = shop();
        Route moved = new Route("shop-web", Route.Type.HTTP, "www.elsewhere.example", "/", "shop.web", 0, false, T, Route.PUBLIC, 0);
        AppRename.Current c = new AppRename.Current(now.app(), List.of(), null, List.of(moved), List.of(), List.of(), null);
        Map<String, Object> s = AppRename.plan(c, "store", "grid.test").switchOver();
        assertEquals("www.elsewhere.example", ((Route) s.get(Keys.route("shop-web"))).host());
        assertFalse(s.containsKey(Keys.route("store-web")));
        assertFalse(s.containsKey(Keys.formation("store")), "no formation, none made");
        assertFalse(s.containsKey(Keys.maintenance("store")));
    }
}
