package dev.grid.appliance;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a data node runs: its id in the cluster, the address and port it serves on,
 * its data directory (on the node's volume) and the cluster's secrets (from the
 * cluster release's env).
 */
public record NodeConfig(String id, String address, int port, Path dataDir, Map<String, String> secrets) {
    public NodeConfig {
        secrets = Map.copyOf(secrets);
    }

    public String secret(String name) {
        String v = secrets.get(name);
        if (v == null) throw new IllegalStateException("the cluster has no secret " + name);
        return v;
    }
}
