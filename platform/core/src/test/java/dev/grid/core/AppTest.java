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
