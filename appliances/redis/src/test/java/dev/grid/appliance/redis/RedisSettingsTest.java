package dev.grid.appliance.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {
    static Map<String, String> valid(String name, String value) {
        Map<String, String> in = new HashMap<>();
        in.put(name, value);
        return RedisSettings.validate(in, 128);
    }

    static String refused(String name, String value) {
        return assertThrows(IllegalArgumentException.class, () -> valid(name, value), name + "=" + value).getMessage();
    }

    @Test
    void valuesComeOutAsRedisTakesThem() {
        assertEquals(Map.of("maxmemory", String.valueOf(64L << 20)), valid("maxmemory", "64mb"));
        assertEquals(Map.of("maxmemory", String.valueOf(64L << 20)), valid("maxmemory", "64M"));
        assertEquals(Map.of("maxmemory", String.valueOf(2L << 20)), valid("maxmemory", "2048kb"));
        assertEquals(Map.of("maxmemory", "0"), valid("maxmemory", "0"), "none");
        assertEquals(Map.of("maxmemory", String.valueOf(128L << 20)), valid("maxmemory", "128mb"), "the whole node");
        assertEquals(Map.of("maxmemory-policy", "allkeys-lru"), valid("maxmemory-policy", "ALLKEYS-LRU"));
        assertEquals(Map.of("timeout", "300"), valid("timeout", " 300 "));
        assertEquals(Map.of("notify-keyspace-events", "KEA"), valid("notify-keyspace-events", "KEA"));
        assertEquals(Map.of("notify-keyspace-events", "Ex$"), valid("notify-keyspace-events", "Ex$"));
        assertEquals(Map.of("notify-keyspace-events", ""), valid("notify-keyspace-events", ""), "off again");
    }

    @Test
    void everyBadValueIsRefusedWithWhatToUse() {
        assertTrue(refused("maxmemory", "lots").contains("such as 64mb"));
        assertTrue(refused("maxmemory", "-1mb").contains("such as 64mb"));
        assertTrue(refused("maxmemory", "100").contains("at least 1mb"), "a size Redis would fill at once");
        assertTrue(refused("maxmemory", "1gb").contains("at most 128mb"), "more than the node has");
        assertTrue(refused("maxmemory", "99999999999999gb").contains("such as 64mb"));
        assertTrue(refused("maxmemory", "999999999999gb").contains("at most 128mb"), "no overflow");
        assertTrue(refused("maxmemory-policy", "lru").contains("allkeys-lru"));
        assertTrue(refused("timeout", "-5").contains("whole seconds"));
        assertTrue(refused("timeout", "1.5").contains("whole seconds"));
        assertTrue(refused("timeout", "4294967296").contains("whole seconds"));
        assertTrue(refused("notify-keyspace-events", "KEQ").contains("'Q' is no event class"));
        assertTrue(refused("notify-keyspace-events", "K\"\nrequirepass x").contains("is no event class"), "nothing can be written into redis.conf");
        assertTrue(refused("notify-keyspace-events", "x").contains("add K (keyspace) or E (keyevent)"));
        assertTrue(refused("appendonly", "no").contains("no setting 'appendonly'"), "only what the app's owner may change");
        assertTrue(refused("min-replicas-to-write", "0").contains("no setting"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RedisSettings.validate(Map.of(), 128)).getMessage().contains("no setting given"));
    }

    @Test
    void aNodeHasRedissDefaultForEverySettingNotChangedAndTheConfigFileSaysSo() {
        Map<String, String> effective = RedisSettings.effective(Map.of("maxmemory-policy", "allkeys-lru"));
        assertEquals(Map.of("maxmemory", "0", "maxmemory-policy", "allkeys-lru", "timeout", "0", "notify-keyspace-events", ""), effective);
        assertEquals(List.of("maxmemory \"0\"", "maxmemory-policy \"allkeys-lru\"", "timeout \"0\"", "notify-keyspace-events \"\""),
                RedisSettings.confLines(Map.of("maxmemory-policy", "allkeys-lru", "unknown", "x")));
    }
}
