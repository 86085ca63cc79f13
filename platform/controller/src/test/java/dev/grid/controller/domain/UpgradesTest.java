package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.core.Route;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpgradesTest {
    @Test
    void anOldServiceNameBecomesTheOnePairThatSpellsIt() {
        Map<String, Set<String>> apps = Map.of("shop", Set.of("web", "api-web"), "blog", Set.of("web", "worker"));
        assertEquals(Optional.of("blog.worker"), Upgrades.renamedService("blog-worker", apps));
        assertEquals(Optional.of("shop.api-web"), Upgrades.renamedService("shop-api-web", apps));
    }

    @Test
    void anAmbiguousOrForeignNameIsLeftAlone() {
        Map<String, Set<String>> apps = Map.of("shop", Set.of("web", "api-web"), "shop-api", Set.of("web"));
        assertEquals(Optional.empty(), Upgrades.renamedService("shop-api-web", apps), "two pairs spell it");
        assertEquals(Optional.empty(), Upgrades.renamedService("grid-postgres-main", apps), "an appliance cluster's service");
    }

    @Test
    void anEarlierGridsAddonRouteListensOnlyWhereAppsReachAddonsAndEveryOtherStaysPublic() {
        java.util.function.Function<Route, Route> old = r -> r.listening(null);
        assertEquals(Route.ADDON, Upgrades.listenOf(old.apply(Route.tcp("tcp-30000", 30000, "grid-postgres-main", true))));
        assertEquals(Route.ADDON, Upgrades.listenOf(old.apply(Route.tcp("tcp-30001", 30001, "grid-redis-cache", true))));
        assertEquals(Route.PUBLIC, Upgrades.listenOf(old.apply(Route.tcp("tcp-30002", 30002, "shop.smtp", false))), "an app's own");
        assertEquals(Route.PUBLIC, Upgrades.listenOf(old.apply(Route.http("shop-web", "shop.example.com", "/", "shop.web"))));
    }
}
