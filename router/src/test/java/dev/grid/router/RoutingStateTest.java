package dev.grid.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.Instance;
import dev.grid.core.Route;
import dev.grid.discovery.Discovery;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The router's view of etcd, against a real etcd: whole at start, and a change rebuilds what it touched. */
class RoutingStateTest {
    static void instance(Store store, String service, String id, int port) {
        store.put(Keys.instances(service) + id, new Instance(service, id, "127.0.0.1", port, id, "h"));
    }

    @Test
    void aChangeToOneServiceRebuildsThatServiceAloneAndKeepsTheOthersBackends() {
        try (Store store = SharedEtcd.newStore()) {
            store.put(Keys.route("web"), Route.http("web", "web.test", "/", "web"));
            store.put(Keys.route("db"), Route.tcp("db", 31000, "db", true));
            for (int i = 0; i < 50; i++) instance(store, "app" + i, "i" + i, 20000 + i);
            instance(store, "db", "d1", 21001);
            instance(store, "db", "d2", 21002);
            try (RoutingState state = new RoutingState(store).start()) {
                RoutingState.View first = state.view();
                assertEquals(51, first.services().size(), "whole at start");
                assertEquals("web", first.http().match("web.test", "/").service());
                assertEquals("d1", first.service("db").leader().id, "no leader key: the oldest instance");
                Backend a7 = first.service("app7").all().get(0);

                // One more instance of app3: app3 is rebuilt; every other service keeps its very objects.
                instance(store, "app3", "j3", 22003);
                RoutingState.View next = Eventually.await("app3's second instance", Duration.ofSeconds(10), state::view,
                        v -> v.service("app3").all().size() == 2);
                for (int i = 0; i < 50; i++) {
                    if (i != 3) assertSame(first.service("app" + i), next.service("app" + i), "app" + i + " untouched");
                }
                assertSame(first.http(), next.http(), "no route changed: the route table is the same");

                // The leader moves: the route follows it.
                new Discovery(store).setLeader("db", "d2", 0);
                Eventually.await("d2 leads", Duration.ofSeconds(10), () -> state.view().service("db").leader(), l -> l != null && l.id.equals("d2"));

                // An instance goes: it is drained (in-flight requests finish), and the service that kept it keeps its other backend.
                store.delete(Keys.instances("app7") + "i7");
                Eventually.await("app7 gone", Duration.ofSeconds(10), () -> state.view().services().containsKey("app7"), present -> !present);
                assertTrue(a7.removed, "the backend that went is drained");
                Backend d2 = state.view().service("db").leader();
                assertNotNull(d2);
                assertFalse(d2.removed);

                // A route: the table is rebuilt, the services are not.
                RoutingState.View before = state.view();
                store.put(Keys.route("api"), Route.http("api", "api.test", "/", "app1"));
                RoutingState.View after = Eventually.await("the new route", Duration.ofSeconds(10), state::view,
                        v -> v.http().match("api.test", "/") != null);
                assertSame(before.services(), after.services());
                assertEquals(List.of(), after.certs());
            }
        }
    }

    @Test
    void theServiceOfAKeyIsItsSecondSegment() {
        assertEquals("shop.web", RoutingState.serviceOf("services/shop.web/instances/shop-web-1"));
        assertEquals("grid-postgres-main", RoutingState.serviceOf("services/grid-postgres-main/leader"));
    }
}
