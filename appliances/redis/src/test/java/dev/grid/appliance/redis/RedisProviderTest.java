package dev.grid.appliance.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.appliance.Provider.Resource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisProviderTest {
    @Test
    void anEarlierGridsUrlNamesTheAppsUserAfterTheUpgradeAndNothingElseChanges() {
        assertEquals("redis://default:pw@127.0.0.1:30001", RedisProvider.upgradedUrl("redis://:pw@127.0.0.1:30001"));
        assertEquals("redis://default:pw@127.0.0.1:30001", RedisProvider.upgradedUrl("redis://default:pw@127.0.0.1:30001"), "once is enough");
        assertEquals("rediss://default:pw@127.0.0.1:30001", RedisProvider.upgradedUrl("rediss://:pw@127.0.0.1:30001"), "TLS first, user second");
        assertEquals("rediss://default:pw@127.0.0.1:30001", RedisProvider.upgradedUrl(RedisProvider.withTls(
                Map.of("REDIS_URL", "redis://:pw@127.0.0.1:30001"), true, "PEM").get("REDIS_URL")), "in either order");
        Map<String, String> env = Map.of("REDIS_URL", "redis://:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PORT", "30001", "REDIS_PASSWORD", "pw");
        Map<String, String> upgraded = RedisProvider.upgradedEnv(new Resource("cache", env, Map.of("cluster", "cache", "replicas", "1")));
        assertEquals(Map.of("REDIS_URL", "redis://default:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PORT", "30001",
                "REDIS_PASSWORD", "pw"), upgraded);
        assertEquals(RedisProvider.url("pw", "127.0.0.1", 30001), upgraded.get("REDIS_URL"), "the form a new add-on gets");
    }

    @Test
    void onceTheClusterSpansHostsTheUrlIsRedissAndTheCaComesAlong() {
        Map<String, String> env = Map.of("REDIS_URL", "redis://default:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PORT", "30001", "REDIS_PASSWORD", "pw");
        assertEquals(env, RedisProvider.withTls(env, false, "PEM"), "one machine: plaintext over loopback");
        Map<String, String> tls = RedisProvider.withTls(env, true, "PEM");
        assertEquals("rediss://default:pw@127.0.0.1:30001", tls.get("REDIS_URL"));
        assertEquals("PEM", tls.get("REDIS_CA_CERT"));
        assertEquals(tls, RedisProvider.withTls(tls, true, "PEM"), "once is enough");
        assertEquals(tls, RedisProvider.withTls(tls, false, "PEM"), "never taken away");
        assertEquals(env, RedisProvider.withTls(env, true, null), "a cluster an earlier Grid made has no certificates");
    }

    @Test
    void aNodeServesTlsOnceItsClusterSpannedHostsIfItHasCertificates() {
        assertEquals(false, RedisDatastore.tls(Map.of("TLS_CA", "PEM"), Map.of()));
        assertEquals(true, RedisDatastore.tls(Map.of("TLS_CA", "PEM"), Map.of("spanned-hosts", "yes")));
        assertEquals(false, RedisDatastore.tls(Map.of("PASSWORD", "pw"), Map.of("spanned-hosts", "yes")), "no certificates, no TLS");
    }
}
