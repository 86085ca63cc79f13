package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.core.GridException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttachmentVarsTest {
    private static final Map<String, String> POSTGRES = new LinkedHashMap<>();

    static {
        POSTGRES.put("JDBC_DATABASE_URL", "jdbc:postgresql://h:1/d?user=r&password=p");
        POSTGRES.put("DATABASE_URL", "postgres://r:p@h:1/d");
        POSTGRES.put("PGHOST", "h");
        POSTGRES.put("DATABASE_CA_CERT", "PEM");
    }

    @Test
    void anAliasNamesTheUrlAliasUrlAndPrefixesEveryOtherVar() {
        Map<String, String> named = AttachmentVars.of(POSTGRES, "ANALYTICS");
        assertEquals(Map.of("ANALYTICS_URL", "postgres://r:p@h:1/d", "ANALYTICS_JDBC_DATABASE_URL", "jdbc:postgresql://h:1/d?user=r&password=p",
                "ANALYTICS_PGHOST", "h", "ANALYTICS_DATABASE_CA_CERT", "PEM"), named);
        assertEquals(Map.of("CACHE_URL", "redis://:p@h:2", "CACHE_REDIS_TLS_URL", "rediss://:p@h:2", "CACHE_REDIS_HOST", "h"),
                AttachmentVars.of(Map.of("REDIS_TLS_URL", "rediss://:p@h:2", "REDIS_URL", "redis://:p@h:2", "REDIS_HOST", "h"), "CACHE"),
                "REDIS_TLS_URL has more words than REDIS_URL: it is one of the other vars");
    }

    @Test
    void withoutAnAliasTheVarsAreTheAddonsOwn() {
        assertSame(POSTGRES, AttachmentVars.of(POSTGRES, null));
        assertNull(AttachmentVars.alias(null));
        assertEquals(Map.of("X_A", "1"), AttachmentVars.of(Map.of("A", "1"), "X"), "an add-on with no URL: every var prefixed");
    }

    @Test
    void theUrlIsTheShortestUrlVarWhateverTheOrder() {
        assertEquals("DATABASE_URL", AttachmentVars.urlVar(POSTGRES));
        assertEquals("B_URL", AttachmentVars.urlVar(Map.of("B_URL", "", "A_X_URL", "", "AB_URL", "")));
        assertEquals("AB_URL", AttachmentVars.urlVar(Map.of("AC_URL", "", "AB_URL", "")), "a tie goes to the first name, so it never depends on order");
        assertEquals(java.util.List.of("DATABASE_URL", "DATABASE_CA_CERT", "JDBC_DATABASE_URL", "PGHOST"), AttachmentVars.urlFirst(POSTGRES.keySet()),
                "a clash names the URL first");
    }

    @Test
    void aBadAliasIsRefusedWithOneThatWouldDo() {
        GridException e = assertThrows(GridException.class, () -> AttachmentVars.alias("analytics-db"));
        assertTrue(e.getMessage().contains("--as ANALYTICS_DB"), e.getMessage());
        for (String bad : new String[] {"", "1DB", "_DB", "DB-2", "DB URL", "A".repeat(31), "DB\nX"}) {
            assertThrows(GridException.class, () -> AttachmentVars.alias(bad), bad);
        }
        assertEquals("HEROKU_POSTGRESQL_RED", AttachmentVars.alias("HEROKU_POSTGRESQL_RED"));
    }
}
