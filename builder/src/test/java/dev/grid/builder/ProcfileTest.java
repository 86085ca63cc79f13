package dev.grid.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcfileTest {
    @Test
    void parsesTypesInOrderWithCommentsAndBlankLines() {
        Map<String, String> p = Procfile.parse("# the app\nweb: node server.js --port $PORT\n\nworker:bundle exec sidekiq   \nrelease: ./migrate\r\n");
        assertEquals(List.of("web", "worker", "release"), List.copyOf(p.keySet()));
        assertEquals("node server.js --port $PORT", p.get("web"));
        assertEquals("bundle exec sidekiq", p.get("worker"));
        assertEquals("./migrate", p.get("release"));
    }

    @Test
    void commandsMayContainColons() {
        assertEquals("java -cp a:b Main", Procfile.parse("web: java -cp a:b Main").get("web"));
    }

    private static String error(String text) {
        return assertThrows(Procfile.ProcfileException.class, () -> Procfile.parse(text)).getMessage();
    }

    @Test
    void errorsNameTheLine() {
        assertEquals("Procfile line 2: expected 'type: command', got 'worker sidekiq'", error("web: x\nworker sidekiq\n"));
        assertEquals("Procfile line 1: process type 'web' has no command", error("web:\n"));
        assertEquals("Procfile line 3: process type 'web' is defined twice", error("web: a\n\nweb: b\n"));
        assertEquals("Procfile line 1: the Procfile defines no process type", error("# nothing\n\n"));
        assertEquals("Procfile line 1: invalid process type 'Web': use lowercase letters, digits, '-' and '_', starting with a letter", error("Web: x"));
    }
}
