package dev.grid.server;

import dev.grid.builder.BuildLimits;
import dev.grid.core.SecretFile;
import dev.grid.router.RouterConfig;
import dev.grid.router.TcpDatapath;
import dev.grid.router.Transport;
import dev.grid.store.EtcdAccess;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
                           int sshPort, String blobAddress, int blobPort, String stackImage, String addonHost,
                           EtcdAccess etcdAccess, int appUidMin, int appUidMax, boolean isolation, BuildLimits buildLimits,
                           Duration tcpIdleTimeout, int tcpMaxConnections, TcpDatapath tcpDatapath, String keeperJavaOptions,
                           Duration nodeReplaceAfter, double memoryOvercommit, boolean accessLog, int metricsPort) {
    public static final Set<String> ALL_ROLES = Set.of("controller", "scheduler", "host", "router", "builder", "appliances");

    public static ServerConfig fromEnv(Map<String, String> env) throws IOException {
        Path home = Path.of(env.getOrDefault("GRID_HOME", System.getProperty("user.home") + "/.grid"));
        Files.createDirectories(home);
        home.toFile().setReadable(false, false); // its secrets are mode 0600 anyway; the listing is nobody else's either
        home.toFile().setExecutable(false, false);
        home.toFile().setReadable(true, true);
        home.toFile().setExecutable(true, true);
        String etcd = env.getOrDefault("GRID_ETCD", "");
        Set<String> roles = Set.of(env.getOrDefault("GRID_ROLES", "controller,scheduler,host,router,builder,appliances").split(","));
        for (String r : roles) {
            if (!ALL_ROLES.contains(r)) throw new IllegalArgumentException("unknown role '" + r + "' in GRID_ROLES: use " + ALL_ROLES);
        }
        int[] range = range(env.getOrDefault("GRID_PORT_RANGE", "20000-20999"), "GRID_PORT_RANGE");
        int[] tcp = range(env.getOrDefault("GRID_TCP_PORT_RANGE", "30000-30999"), "GRID_TCP_PORT_RANGE");
        int[] uids = uidRange(env.getOrDefault("GRID_APP_UIDS", "200000-299999"));
        long totalMb = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() >> 20;
        return new ServerConfig(home,
                etcd.isBlank() ? List.of() : List.of(etcd.split(",")),
                Integer.parseInt(env.getOrDefault("GRID_ETCD_PORT", "7379")),
                env.getOrDefault("GRID_PREFIX", "/grid/"),
                roles,
                env.getOrDefault("GRID_API_ADDRESS", "127.0.0.1"),
                Integer.parseInt(env.getOrDefault("GRID_API_PORT", "7070")),
                env.getOrDefault("GRID_HOST_ID", SecretFile.readOrCreate(home.resolve("host-id"), () -> "h" + SecretFile.randomHex(4))),
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
                dev.grid.core.StackImage.of(env),
                env.getOrDefault("GRID_ADDON_HOST", "127.0.0.1"),
                etcdAccess(env), uids[0], uids[1], isolation(env.getOrDefault("GRID_ISOLATION", "on")), buildLimits(env),
                duration(env.getOrDefault("GRID_TCP_IDLE_TIMEOUT", "1h"), "GRID_TCP_IDLE_TIMEOUT"),
                positive(env.getOrDefault("GRID_TCP_MAX_CONNECTIONS", String.valueOf(RouterConfig.TCP_MAX_CONNECTIONS)), "GRID_TCP_MAX_CONNECTIONS"),
                TcpDatapath.of(env.getOrDefault("GRID_TCP_DATAPATH", "auto")),
                dev.grid.appliance.KeeperProgram.checkJavaOptions(env.get("GRID_KEEPER_JAVA_OPTS")),
                replaceAfter(env.getOrDefault("GRID_NODE_REPLACE_AFTER", dev.grid.appliance.Manager.DEFAULT_REPLACE_AFTER.toSeconds() + "s")),
                overcommit(env.getOrDefault("GRID_MEMORY_OVERCOMMIT", "1")),
                onOff(env.getOrDefault("GRID_ROUTER_ACCESS_LOG", "on"), "GRID_ROUTER_ACCESS_LOG"),
                metricsPort(env.get("GRID_METRICS_PORT")));
    }

    /** GRID_METRICS_PORT: where a process without the API serves /metrics; unset, it serves none (the API's /metrics has the controller's). */
    static int metricsPort(String setting) {
        if (setting == null || setting.isBlank()) return -1;
        try {
            int n = Integer.parseInt(setting.trim());
            if (n >= 0 && n <= 65535) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid GRID_METRICS_PORT '" + setting + "': use a port number, e.g. 7072 (0 picks a free one)");
    }

    /** GRID_MEMORY_OVERCOMMIT: how many times its memory a host's jobs may reserve, from 1 (none) to 10. */
    static double overcommit(String spec) {
        try {
            double r = Double.parseDouble(spec.trim());
            if (r >= 1 && r <= 10) return r;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("invalid GRID_MEMORY_OVERCOMMIT '" + spec + "': give a ratio from 1 (no overcommit) to 10, e.g. 1.5");
    }

    /** GRID_NODE_REPLACE_AFTER: a duration, or {@code off} (null: a lost node waits for its host or for hosts:remove). */
    static Duration replaceAfter(String spec) {
        return spec.trim().equalsIgnoreCase("off") ? null : duration(spec, "GRID_NODE_REPLACE_AFTER");
    }

    /** How to sign in to an etcd named by GRID_ETCD (the local etcd's root password lives in GRID_HOME). */
    private static EtcdAccess etcdAccess(Map<String, String> env) throws IOException {
        String user = blankToNull(env.get("GRID_ETCD_USER"));
        String password = blankToNull(env.get("GRID_ETCD_PASSWORD"));
        String passwordFile = blankToNull(env.get("GRID_ETCD_PASSWORD_FILE"));
        if (password == null && passwordFile != null) password = Files.readString(Path.of(passwordFile)).trim();
        if (user != null && password == null)
            throw new IllegalArgumentException("GRID_ETCD_USER is set without a password: set GRID_ETCD_PASSWORD or GRID_ETCD_PASSWORD_FILE");
        if (user == null && password != null) throw new IllegalArgumentException("an etcd password is set without GRID_ETCD_USER");
        Path ca = file(env, "GRID_ETCD_CA");
        Path cert = file(env, "GRID_ETCD_CERT");
        Path key = file(env, "GRID_ETCD_KEY");
        if ((cert == null) != (key == null)) throw new IllegalArgumentException("GRID_ETCD_CERT and GRID_ETCD_KEY go together: set both or neither");
        return new EtcdAccess(user, password, ca, cert, key);
    }

    private static Path file(Map<String, String> env, String name) {
        String v = blankToNull(env.get(name));
        if (v == null) return null;
        Path p = Path.of(v);
        if (!Files.isReadable(p)) throw new IllegalArgumentException("invalid " + name + " '" + v + "': no readable file there");
        return p;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static boolean isolation(String setting) {
        return onOff(setting, "GRID_ISOLATION");
    }

    /** A setting that is on (the default) or off. */
    private static boolean onOff(String setting, String name) {
        return switch (setting) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("invalid " + name + " '" + setting + "': use on (the default) or off");
        };
    }

    private static BuildLimits buildLimits(Map<String, String> env) {
        BuildLimits d = BuildLimits.DEFAULTS;
        try {
            return new BuildLimits(
                    Long.parseLong(env.getOrDefault("GRID_BUILD_MEMORY_MB", String.valueOf(d.memoryMb()))),
                    Double.parseDouble(env.getOrDefault("GRID_BUILD_CPUS", String.valueOf(d.cpus()))),
                    duration(env.getOrDefault("GRID_BUILD_TIMEOUT", "15m"), "GRID_BUILD_TIMEOUT"),
                    size(env.getOrDefault("GRID_PUSH_LIMIT", "1g"), "GRID_PUSH_LIMIT"),
                    size(env.getOrDefault("GRID_BUILD_MIN_FREE", "1g"), "GRID_BUILD_MIN_FREE"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid GRID_BUILD_MEMORY_MB or GRID_BUILD_CPUS: use numbers, e.g. 2048 and 2");
        }
    }

    /** The router's settings: its defaults, with the TCP routes' limits set here. */
    public RouterConfig routerConfig() {
        RouterConfig d = RouterConfig.defaults(routerAddress, httpPort, httpsPort, routerTransport);
        return new RouterConfig(d.bindAddress(), d.httpPort(), d.httpsPort(), d.tcpBindAddress(), addonHost, d.headerTimeout(), d.idleTimeout(),
                d.responseTimeout(), d.bodyTimeout(), d.maxBodyBytes(), tcpIdleTimeout, tcpMaxConnections, d.ioThreads(), d.transport(),
                tcpDatapath, hostAddress, accessLog);
    }

    private static int positive(String setting, String name) {
        try {
            int n = Integer.parseInt(setting.trim());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid " + name + " '" + setting + "': use a number above 0, e.g. " + RouterConfig.TCP_MAX_CONNECTIONS);
    }

    /** 90s, 15m, 1h (or plain seconds). */
    static Duration duration(String spec, String name) {
        var m = java.util.regex.Pattern.compile("(\\d+)([smh]?)").matcher(spec.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0)
            throw new IllegalArgumentException("invalid " + name + " '" + spec + "': use a positive duration such as 900s, 15m or 1h");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** 512m, 1g, or plain bytes. */
    static long size(String spec, String name) {
        var m = java.util.regex.Pattern.compile("(\\d+)([kmg]?)").matcher(spec.trim().toLowerCase());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0)
            throw new IllegalArgumentException("invalid " + name + " '" + spec + "': use a positive size such as 512m or 1g");
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    private static Transport routerTransport(String setting) {
        try {
            return Transport.choose(setting);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid GRID_ROUTER_TRANSPORT: " + e.getMessage());
        }
    }

    /** App UIDs: clear of the machine's own users (below 10000) and of nobody (65534), below 2^31. */
    private static int[] uidRange(String spec) {
        String[] parts = spec.split("-");
        try {
            long lo = Long.parseLong(parts[0].trim());
            long hi = Long.parseLong(parts[1].trim());
            if (parts.length == 2 && lo >= 10000 && hi >= lo && hi < Integer.MAX_VALUE && (lo > 65534 || hi < 65534)) return new int[] {(int) lo, (int) hi};
        } catch (RuntimeException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid GRID_APP_UIDS '" + spec + "': use LOW-HIGH from 10000 up, clear of the machine's own users, e.g. 200000-299999");
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
        return t != null && !t.isBlank() ? t : SecretFile.readOrCreate(home.resolve("token"), () -> SecretFile.randomHex(24));
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
}
