package dev.grid.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppTest {
    @Test
    void aNewAppGetsAUidNoAppEverHad() {
        assertEquals(java.util.OptionalInt.of(200000), App.nextUid(List.of(), 200000, 200002));
        assertEquals(java.util.OptionalInt.of(200002), App.nextUid(List.of(200000, 200001), 200000, 200002), "above every one given");
        assertEquals(java.util.OptionalInt.of(200006), App.nextUid(List.of(200005), 200000, 200009), "a gap a destroyed app left stays unused");
        assertEquals(java.util.OptionalInt.of(200000), App.nextUid(List.of(5, 999999), 200000, 200009), "UIDs outside the range do not count");
        assertEquals(java.util.OptionalInt.empty(), App.nextUid(List.of(200002), 200000, 200002), "used up");
    }

    @Test
    void noTwoAppAndProcessTypePairsShareAServiceName() {
        // Every pair that a dash-joined name made ambiguous, and the names Grid's own services use.
        List<String[]> pairs = List.of(new String[] {"shop", "api-web"}, new String[] {"shop-api", "web"},
                new String[] {"grid", "postgres-main"}, new String[] {"grid-postgres", "main"}, new String[] {"a-b", "c-d"},
                new String[] {"a", "b-c-d"}, new String[] {"a-b-c", "d"});
        Map<String, String> seen = new HashMap<>();
        for (String[] p : pairs) {
            assertNotNull(ProcessType.typeProblem(p[0] + ".x"), "a dot is never part of a process type");
            String before = seen.put(App.service(p[0], p[1]), p[0] + "/" + p[1]);
            assertEquals(null, before, App.service(p[0], p[1]) + " is made by two pairs");
        }
        assertNotEquals("grid-postgres-main", App.service("grid", "postgres-main"), "no app reaches an appliance's service");
        assertNotNull(App.nameProblem("shop.api"), "a dot is never part of an app name");
    }
}
