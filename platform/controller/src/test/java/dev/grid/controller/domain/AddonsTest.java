package dev.grid.controller.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AddonsTest {
    @Test
    void anUpgradedConfigReachesAnAppOnlyWhereItStillHoldsWhatTheAttachmentSet() {
        Map<String, String> attached = Map.of("REDIS_URL", "redis://:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PASSWORD", "pw");
        Map<String, String> env = Map.of("REDIS_URL", "redis://default:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PASSWORD", "pw");
        assertEquals(Map.of("REDIS_URL", "redis://default:pw@127.0.0.1:30001"), Addons.changedVars(attached, env, attached),
                "only what changed");
        Map<String, String> byHand = Map.of("REDIS_URL", "redis://:mine@10.0.0.9:6379", "REDIS_HOST", "127.0.0.1", "REDIS_PASSWORD", "pw");
        assertEquals(Map.of(), Addons.changedVars(attached, env, byHand), "a var set by hand since stays the app's");
        assertEquals(Map.of(), Addons.changedVars(attached, env, Map.of("REDIS_HOST", "127.0.0.1")), "nor is one the app unset given back");
        assertEquals(Map.of(), Addons.changedVars(attached, attached, attached), "nothing changed, nothing to set");
    }

    @Test
    void aVarTheAddonGainsReachesEveryAppThatHasNoneOfItsOwn() {
        Map<String, String> attached = Map.of("DATABASE_URL", "postgres://r:pw@127.0.0.1:30000/r");
        Map<String, String> env = Map.of("DATABASE_URL", "postgres://r:pw@127.0.0.1:30000/r?sslmode=require", "DATABASE_CA_CERT", "PEM");
        assertEquals(env, Addons.changedVars(attached, env, attached));
        assertEquals(Map.of("DATABASE_URL", "postgres://r:pw@127.0.0.1:30000/r?sslmode=require"),
                Addons.changedVars(attached, env, Map.of("DATABASE_URL", "postgres://r:pw@127.0.0.1:30000/r", "DATABASE_CA_CERT", "the app's own")),
                "an app's own var of that name stays");
    }

    @Test
    void anAttachmentWithANameGetsTheAddonsNewConfigUnderThatName() {
        Addon db = new Addon("reports", "postgres", "shared", "r", Map.of("DATABASE_URL", "postgres://r:pw@h:1/r"), Map.of(),
                Map.of("shop", Map.of("REPORTS_URL", "postgres://r:pw@h:1/r")), java.time.Instant.EPOCH, Map.of("shop", "REPORTS"));
        Map<String, String> env = Map.of("DATABASE_URL", "postgres://r:pw@h:1/r?sslmode=require", "DATABASE_CA_CERT", "PEM");
        Map<String, String> attached = db.attachments().get("shop");
        assertEquals(Map.of("REPORTS_URL", "postgres://r:pw@h:1/r?sslmode=require", "REPORTS_DATABASE_CA_CERT", "PEM"),
                Addons.changedVars(attached, db.varsFor("shop", env), Map.of("REPORTS_URL", "postgres://r:pw@h:1/r", "DATABASE_URL", "the first add-on's")),
                "the app's own DATABASE_URL (another add-on's) is not touched");
    }
}
