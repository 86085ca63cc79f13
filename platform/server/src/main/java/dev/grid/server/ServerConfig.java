package dev.grid.server;

import dev.grid.router.Transport;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settings of one Grid server process, from environment variables. The defaults
 * make the embedded single-machine Grid; every address, port and the etcd
 * endpoints can be set so the same process runs as one part of a cluster.
 */
public record ServerConfig(Path home, List<String> etcdEndpoints, int localEtcdPort, String prefix, Set<String> roles,
                           String apiAddress, int apiPort, String hostId, String hostAddress, int portMin, int portMax,
                           long memoryMb, Map<String, String> hostTags, long leaseTtlSeconds, String dockerHost,
                           String domain, String routerAddress, int httpPort, int httpsPort, Transport routerTransport,
                           int tcpPortMin, int tcpPortMax,
                           int sshPort, String blobAddress, int blobPort, String stackImage, String addonHost) {
    public static final Set<String> ALL_ROLES = Set.of("controller", "scheduler", "host", "router", "builder", "appliances");

    public static ServerConfig fromEnv(Map<String, String> env) throws IOException {
        Path home = Path.of(env.getOrDefault("GRID_HOME", System.getProperty("user.home") + "/.grid"));
        Files.createDirectories(home);
        String etcd = env.getOrDefault("GRID_ETCD", "");
        Set<String> roles = Set.of(env.getOrDefault("GRID_ROLES", "controller,scheduler,host,router,builder,appliances").split(","));
        for (String r : roles) {
            if (!ALL_ROLES.contains(r)) throw new IllegalArgumentException("unknown role '" + r + "' in GRID_ROLES: use " + ALL_ROLES);
        }
        int[] range = range(env.getOrDefault("GRID_PORT_RANGE", "20000-20999"), "GRID_PORT_RANGE");
        int[] tcp = range(env.getOrDefault("GRID_TCP_PORT_RANGE", "30000-30999"), "GRID_TCP_PORT_RANGE");
        long totalMb = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() >> 20;
        return new ServerConfig(home,
                etcd.isBlank() ? List.of() : List.of(etcd.split(",")),
                Integer.parseInt(env.getOrDefault("GRID_ETCD_PORT", "7379")),
                env.getOrDefault("GRID_PREFIX", "/grid/"),
                roles,
                env.getOrDefault("GRID_API_ADDRESS", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("GRID_API_PORT", "7070")),
                env.getOrDefault("GRID_HOST_ID", persistent(home.resolve("host-id"), "h" + random(4))),
                env.getOrDefault("GRID_HOST_ADDRESS", "127.0.0.1"),
                range[0], range[1],
                Long.parseLong(env.getOrDefault("GRID_HOST_MEMORY_MB", String.valueOf(totalMb))),
                tags(env.getOrDefault("GRID_HOST_TAGS", "")),
                Long.parseLong(env.getOrDefault("GRID_LEASE_TTL", "10")),
                env.getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock"),
                env.getOrDefault("GRID_DOMAIN", "localhost"),
                env.getOrDefault("GRID_ROUTER_ADDRESS", "0.0.0.0"),
                Integer.parseInt(env.getOrDefault("GRID_HTTP_PORT", "80")),
                Integer.parseInt(env.getOrDefault("GRID_HTTPS_PORT", "443")),
                routerTransport(env.getOrDefault("GRID_ROUTER_TRANSPORT", Transport.AUTO)),
                tcp[0], tcp[1],
                Integer.parseInt(env.getOrDefault("GRID_SSH_PORT", "2222")),
                env.getOrDefault("GRID_BLOB_ADDRESS", env.getOrDefault("GRID_API_ADDRESS", "127.0.0.1")),
                Integer.parseInt(env.getOrDefault("GRID_BLOB_PORT", "7071")),
                env.getOrDefault("GRID_STACK_IMAGE", "grid/stack:bookworm-3"),
                env.getOrDefault("GRID_ADDON_HOST", "127.0.0.1"));
    }

    private static Transport routerTransport(String setting) {
        try {
            return Transport.choose(setting);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid GRID_ROUTER_TRANSPORT: " + e.getMessage());
        }
    }

    private static int[] range(String spec, String name) {
        String[] parts = spec.split("-");
        try {
            int lo = Integer.parseInt(parts[0].trim());
            int hi = Integer.parseInt(parts[1].trim());
            if (parts.length == 2 && lo > 0 && hi >= lo && hi <= 65535) return new int[] {lo, hi};
        } catch (RuntimeException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid " + name + " '" + spec + "': use LOW-HIGH, e.g. 20000-20999");
    }

    /** The bearer token: GRID_TOKEN, or one generated once and kept in GRID_HOME. */
    public String token(Map<String, String> env) throws IOException {
        String t = env.get("GRID_TOKEN");
        return t != null && !t.isBlank() ? t : persistent(home.resolve("token"), random(24));
    }

    private static Map<String, String> tags(String spec) {
        Map<String, String> tags = new java.util.HashMap<>();
        for (String kv : spec.split(",")) {
            if (kv.isBlank()) continue;
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("invalid host tag '" + kv + "' in GRID_HOST_TAGS: use key=value,...");
            tags.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return tags;
    }

    private static String persistent(Path file, String fresh) throws IOException {
        if (Files.exists(file)) return Files.readString(file).trim();
        Files.writeString(file, fresh + "\n");
        file.toFile().setReadable(false, false);
        file.toFile().setReadable(true, true);
        return fresh;
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
