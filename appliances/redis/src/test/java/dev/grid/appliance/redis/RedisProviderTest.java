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
        Map<String, String> env = Map.of("REDIS_URL", "redis://:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PORT", "30001", "REDIS_PASSWORD", "pw");
        Map<String, String> upgraded = new RedisProvider(null).upgrade(new Resource("cache", env, Map.of("cluster", "cache", "replicas", "1")));
        assertEquals(Map.of("REDIS_URL", "redis://default:pw@127.0.0.1:30001", "REDIS_HOST", "127.0.0.1", "REDIS_PORT", "30001",
                "REDIS_PASSWORD", "pw"), upgraded);
        assertEquals(RedisProvider.url("pw", "127.0.0.1", 30001), upgraded.get("REDIS_URL"), "the form a new add-on gets");
    }
}
