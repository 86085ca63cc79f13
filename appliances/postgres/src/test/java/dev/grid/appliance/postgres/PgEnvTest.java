package dev.grid.appliance.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PgEnvTest {
    @Test
    void onOneMachineTheUrlsArePlaintextOverLoopback() {
        Map<String, String> env = PgEnv.of("shop_db", "pw", "127.0.0.1", 30000);
        assertEquals("postgres://shop_db:pw@127.0.0.1:30000/shop_db", env.get("DATABASE_URL"));
        assertEquals("jdbc:postgresql://127.0.0.1:30000/shop_db?user=shop_db&password=pw", env.get("JDBC_DATABASE_URL"));
        assertEquals(env, PgEnv.withTls(env, false, "PEM"), "no TLS asked for while the cluster is on one host");
    }

    @Test
    void onceTheClusterSpansHostsEveryUrlAsksForTlsAndTheCaComesAlong() {
        Map<String, String> env = PgEnv.withTls(PgEnv.of("shop_db", "pw", "127.0.0.1", 30000), true, "PEM");
        assertEquals("postgres://shop_db:pw@127.0.0.1:30000/shop_db?sslmode=require", env.get("DATABASE_URL"));
        assertEquals("jdbc:postgresql://127.0.0.1:30000/shop_db?user=shop_db&password=pw&sslmode=require", env.get("JDBC_DATABASE_URL"));
        assertEquals("require", env.get("PGSSLMODE"));
        assertEquals("PEM", env.get("DATABASE_CA_CERT"));
        assertEquals(env, PgEnv.withTls(env, true, "PEM"), "once is enough");
        assertEquals(env, PgEnv.withTls(env, false, "PEM"), "and it is never taken away");
        Map<String, String> own = PgEnv.withTls(Map.of("DATABASE_URL", "postgres://a:b@h:1/a?sslmode=verify-full"), true, "PEM");
        assertEquals("postgres://a:b@h:1/a?sslmode=verify-full", own.get("DATABASE_URL"), "a stricter mode stays");
        assertEquals(PgEnv.of("x", "y", "h", 1), PgEnv.withTls(PgEnv.of("x", "y", "h", 1), true, null), "a cluster without certificates has no TLS to ask for");
    }
}
