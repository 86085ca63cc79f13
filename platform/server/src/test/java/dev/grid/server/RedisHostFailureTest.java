package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.grid.appliance.ClusterKeys;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.Jedis;

/**
 * {@link HostFailureTest} for Redis, three nodes: SET, then acknowledged once WAIT 1 says a replica
 * has it (the appliance's promise; docs/appliances.md).
 */
abstract class RedisHostFailureTest extends HostFailureTest {
    Map<String, String> env;

    @Override
    ClusterKeys provision(TestCluster grid) {
        var created = grid.api.cli("addons:create", "redis", "-a", "shop", "--name", "shop-kv", "--replicas", "2");
        assertEquals(0, created.exitCode(), created.err());
        env = grid.api.config("shop");
        return new ClusterKeys("redis", "shop-kv"); // an add-on's cluster is named after it
    }

    @Override
    Client connect() {
        Jedis j = RedisApplianceTest.jedis(env, 2000);
        return new Client() {
            @Override
            public void write(int id) {
                j.set("a:" + id, "1");
                if (j.waitReplicas(1, 1000) < 1) throw new IllegalStateException("no replica acknowledged a:" + id);
            }

            @Override
            public Set<Integer> stored() {
                Set<Integer> out = new HashSet<>();
                for (String k : j.keys("a:*")) out.add(Integer.parseInt(k.substring(2)));
                return out;
            }

            @Override
            public void close() {
                j.close();
            }
        };
    }
}
