package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Route;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private final RouteTable table = new RouteTable(List.of(
            Route.http("root", "shop.example.com", "/", "shop"),
            Route.http("api", "shop.example.com", "/api", "api"),
            Route.http("apiv2", "shop.example.com", "/api/v2/", "apiv2"),
            Route.http("wild", "*.example.com", "/", "wild"),
            Route.http("wilder", "*.eu.example.com", "/", "eu"),
            Route.tcp("tcp", 30000, "db", true)));

    private String service(String host, String path) {
        Route r = table.match(host, path);
        return r == null ? null : r.service();
    }

    @Test
    void exactHostBeatsWildcardAndLongestPathPrefixWins() {
        assertEquals("shop", service("shop.example.com", "/"));
        assertEquals("shop", service("shop.example.com", "/cart?x=1"));
        assertEquals("api", service("shop.example.com", "/api"));
        assertEquals("api", service("shop.example.com", "/api/v1/users"));
        assertEquals("apiv2", service("shop.example.com", "/api/v2/users"));
        assertEquals("api", service("shop.example.com", "/api/v2"), "'/api/v2/' needs the slash");
    }

    @Test
    void pathPrefixesMatchWholeSegments() {
        assertEquals("shop", service("shop.example.com", "/apix"), "'/api' does not cover '/apix'");
        assertTrue(RouteTable.pathMatches("/api", "/api/"));
        assertFalse(RouteTable.pathMatches("/api", "/apis"));
    }

    @Test
    void wildcardsCoverSubdomainsMostSpecificFirstButNotTheBareDomain() {
        assertEquals("wild", service("blog.example.com", "/"));
        assertEquals("eu", service("shop.eu.example.com", "/"));
        assertEquals("wild", service("a.b.example.com", "/"));
        assertNull(service("example.com", "/"));
        assertNull(service("eu.example.com.evil.org", "/"));
    }

    @Test
    void hostIsCaseAndPortInsensitive() {
        assertEquals("api", service("SHOP.Example.com:8080", "/api"));
        assertEquals("shop", service("shop.example.com.", "/"));
        assertNull(service(null, "/"));
        assertNull(service("other.org", "/"));
    }
}
