package dev.grid.store;

/** The key layout under the store prefix: one place that names every kind of key. */
public final class Keys {
    private Keys() {}

    public static final String APPS = "apps/";
    public static final String RELEASES = "releases/";
    public static final String FORMATIONS = "formations/";
    public static final String HOSTS = "hosts/";
    /** Hosts an operator declared gone for good ({@code grid hosts:remove}): never placed on, never let back under that id. */
    public static final String REMOVED_HOSTS = "removed-hosts/";
    public static final String JOBS = "jobs/";
    public static final String STATUS = "status/";
    public static final String RUNS = "runs/";
    public static final String SERVICES = "services/";
    public static final String CLAIMS = "claims/";
    public static final String ROUTES = "routes/";
    public static final String CERTS = "certs/";
    public static final String SSH_KEYS = "keys/";
    /** The UIDs apps are given, MIN-MAX: one range for every machine of a Grid. */
    public static final String APP_UIDS = "settings/app-uids";
    /** Ports of Grid's own parts, leased: see {@code GridEndpoint}. */
    public static final String ENDPOINTS = "endpoints/";
    /** Grid's own listeners that apps may reach (the router's HTTP and HTTPS): no TCP route may take their ports. */
    public static final String PUBLIC_ENDPOINTS = "public-endpoints/";
    /** Each router, leased, and who carries its TCP routes ({@code kernel}, or the relay and why): what {@code grid status} shows. */
    public static final String ROUTERS = "routers/";

    /**
     * What only Grid's own parts read: no API answer and no event carries a key under these.
     * {@code secrets/apps/APP} is env the host adds to APP's jobs (a keeper's etcd credentials).
     */
    public static final String SECRETS = "secrets/";
    /** Hashes of the bearer tokens Grid's parts present to each other's HTTP endpoints (blobs, logs). */
    public static final String CREDENTIALS = "credentials/";

    /** The SHA-256 of the scrape token, which opens every process's {@code /metrics} and nothing else. */
    public static final String METRICS_TOKEN = SECRETS + "metrics-token";

    public static String appSecrets(String app) { return SECRETS + "apps/" + app; }

    /** Whether the key holds a secret: a password, a private key, a credential. */
    public static boolean isSecret(String key) {
        return key.startsWith(SECRETS) || key.startsWith(CREDENTIALS) || key.startsWith(CERTS)
                || (key.startsWith("appliances/") && key.endsWith("/secrets"));
    }

    /** Apps destroyed with their volumes: each host removes the app's volumes it holds. */
    public static final String DELETED_VOLUMES = "trash/volumes/";

    public static String app(String name) { return APPS + name; }
    public static String releases(String app) { return RELEASES + app + "/"; }
    public static String release(String app, String id) { return RELEASES + app + "/" + id; }
    public static String formation(String app) { return FORMATIONS + app; }
    public static String host(String id) { return HOSTS + id; }
    public static String removedHost(String id) { return REMOVED_HOSTS + id; }
    /** Wanted jobs no host can take, by app and type ({@link dev.grid.core.Unplaced}): the scheduler's, written when they change. */
    public static final String UNPLACED = "unplaced/";
    public static String unplaced(String app, String type) { return UNPLACED + app + "/" + type; }
    /**
     * Volume-bound jobs on a lost host that their owner (an appliance's manager) lets go: the
     * scheduler places them elsewhere with a fresh volume, as for a removed host, and deletes the key.
     */
    public static final String REPLACE_JOBS = "replace-jobs/";
    public static String replaceJob(String jobId) { return REPLACE_JOBS + jobId; }
    /**
     * Jobs an operator asked to restart ({@code grid ps:restart}: a replacement first, the job
     * stopped once it is up) or to stop ({@code grid ps:stop}: stopped now, then replaced); the value
     * says which ({@link #RESTART}, {@link #STOP}). The scheduler deletes the key with the job.
     */
    public static final String RESTART_JOBS = "restart-jobs/";
    /** Apps in maintenance mode ({@code grid maintenance:on}): the router answers their requests 503 with a page. */
    public static final String MAINTENANCE = "maintenance/";
    /** An app's log drains: {@code drains/APP/TOKEN}, each a {@link dev.grid.drains.Drains.Drain}. */
    public static final String DRAINS = "drains/";
    public static String drains(String app) { return DRAINS + app + "/"; }
    public static String maintenance(String app) { return MAINTENANCE + app; }
    public static String restartJob(String jobId) { return RESTART_JOBS + jobId; }
    public static final String RESTART = "restart";
    public static final String STOP = "stop";
    /** Images kept in the blob store for every host ({@link dev.grid.core.ImageArchive}), by a hash of the image's name. */
    public static final String IMAGES = "images/";
    public static String image(String name) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return IMAGES + java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
    public static String hostJobs(String hostId) { return JOBS + hostId + "/"; }
    public static String job(String hostId, String jobId) { return JOBS + hostId + "/" + jobId; }
    public static String status(String jobId) { return STATUS + jobId; }
    public static String run(String id) { return RUNS + id; }
    public static String instances(String service) { return SERVICES + service + "/instances/"; }
    public static String instance(String service, String id) { return SERVICES + service + "/instances/" + id; }
    public static String leader(String service) { return SERVICES + service + "/leader"; }
    public static String route(String id) { return ROUTES + id; }
    /** Held by the TCP route that owns the port: two routes can never get one port. */
    public static String tcpPort(int port) { return CLAIMS + "tcp-ports/" + port; }
    public static String cert(String domain) { return CERTS + domain; }
    public static String sshKey(String id) { return SSH_KEYS + id; }
    /** Bumped by every scheduler plan that touches the app's jobs: two plans from one view cannot both commit. */
    public static String appClaim(String app) { return CLAIMS + "apps/" + app; }
    /** Bumped by every plan that places on the host: capacity is never over-committed. */
    public static String hostClaim(String hostId) { return CLAIMS + "hosts/" + hostId; }
    /** Held for good by the app given the UID: no two apps, not even one after another, share one. */
    public static final String UID_CLAIMS = CLAIMS + "uids/";
    public static String uidClaim(int uid) { return UID_CLAIMS + uid; }
}
