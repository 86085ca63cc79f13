package dev.grid.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.appliance.ClusterKeys;
import dev.grid.appliance.Clusters;
import dev.grid.appliance.NodeReport;
import dev.grid.builder.BuildLimits;
import dev.grid.core.HostInfo;
import dev.grid.store.Credentials;
import dev.grid.store.EtcdAccess;
import dev.grid.store.Keys;
import dev.grid.store.Lease;
import dev.grid.store.Store;
import dev.grid.store.StoreException;
import dev.grid.testing.Eventually;
import dev.grid.testing.SharedEtcd;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Attacks on a real Grid from where its untrusted parties stand: an app's process (a one-off
 * run of an app deployed by git push), a build (a buildpack's compile, a Dockerfile's RUN), a
 * pushed tree, and any process on the machine that talks to Grid's HTTP endpoints. Each test
 * does what an attacker would, asserts that it is refused, and that nothing changed; where a
 * path must stay open (the router, an app's own jobs, an add-on's route) it checks that too, so
 * a test that refuses everything cannot pass by accident.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackTest {
    static final ClusterKeys POSTGRES = new ClusterKeys("postgres", "main");
    static final long PUSH_LIMIT = 512 << 10;
    TestCluster grid;
    TestGit git;
    Path work;
    int attackerUid;
    JsonNode victimWeb;
    JsonNode attackerWeb;
    int postgresRoute;
    final List<String> events = new CopyOnWriteArrayList<>();
    Thread eventReader;

    @BeforeAll
    void start() throws Exception {
        grid = TestCluster.archiving(5);
        grid.startHost("a", "127.0.0.2");
        grid.startGit(BuildLimits.DEFAULTS.withPushBytes(PUSH_LIMIT));
        git = new TestGit(grid);
        work = git.work;
        // Every event from the start, add-on creation (when the cluster's secrets are made) included.
        eventReader = new Thread(this::readEvents, "attack-events");
        eventReader.setDaemon(true);
        eventReader.start();
        Eventually.await("the event stream", Duration.ofSeconds(10), () -> events, e -> !e.isEmpty());

        grid.api.deployWeb("victim");
        assertEquals(0, grid.api.cli("addons:create", "postgres", "-a", "victim", "--name", "victim-db").exitCode());
        grid.api.ok("POST", "/apps", "{\"name\":\"attacker\"}");
        Path src = git.repo("attacker", Map.of("Procfile", "web: node server.js\n",
                "server.js", "require('http').createServer((q,s)=>s.end('attacker')).listen(process.env.PORT)\n"));
        TestGit.Result pushed = git.push(src, "attacker");
        assertEquals(0, pushed.exit(), pushed.output());
        attackerUid = grid.api.ok("GET", "/apps/attacker", null).path("app").path("uid").asInt();
        victimWeb = Eventually.await("victim up", Duration.ofSeconds(20), () -> grid.api.upJobs("victim"), j -> j.size() == 1).get(0);
        attackerWeb = Eventually.await("attacker up", Duration.ofSeconds(20), () -> grid.api.upJobs("attacker"), j -> j.size() == 1).get(0);
        String url = grid.api.config("victim").get("DATABASE_URL");
        postgresRoute = URI.create(url.replace("postgres://", "http://")).getPort();
    }

    @AfterAll
    void stop() {
        if (eventReader != null) eventReader.interrupt();
        grid.close();
    }

    private void readEvents() {
        try {
            HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(grid.controller.url() + "/events"))
                    .header("Authorization", "Bearer " + grid.token).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !Thread.currentThread().isInterrupted()) events.add(line);
            }
        } catch (IOException | InterruptedException e) {
            // the cluster is closing
        }
    }

    // --- as an app's process -------------------------------------------------------------------

    /** Runs a shell script as a one-off of the attacker app; its output. */
    private String asApp(String script) {
        var run = grid.api.cli("run", "-a", "attacker", script);
        // Its stdout, then its stderr without the CLI's own "Running SCRIPT on attacker..." lines (they hold the script's text).
        String prefix = "Running " + script + " on attacker... ";
        return run.out() + run.err().lines().filter(l -> !l.startsWith(prefix)).map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    /**
     * A script that tries each "name address port" and prints "name open" or "name refused". The
     * script's own text never holds those lines (a build echoes its steps), so only running it can.
     */
    static String reach(Map<String, String> targets) {
        StringBuilder b = new StringBuilder();
        targets.forEach((name, where) -> b.append("if nc -z -w 3 ").append(where.replace(":", " "))
                .append(" 2>/dev/null; then s=open; else s=refused; fi; echo \"").append(name).append(" $s\"; "));
        return b.toString();
    }

    private Map<String, String> gridPorts() {
        HostInfo host = grid.store.get(Keys.host(grid.hostId("a")), HostInfo.class).orElseThrow();
        Map<String, String> t = new LinkedHashMap<>();
        t.put("etcd", "127.0.0.1:" + URI.create(SharedEtcd.url()).getPort());
        t.put("etcd-peers", "127.0.0.1:" + URI.create(SharedEtcd.etcd().peerUrl()).getPort());
        t.put("etcd-via-host-address", "127.0.0.2:" + URI.create(SharedEtcd.url()).getPort());
        t.put("api", "127.0.0.1:" + URI.create(grid.controller.url()).getPort());
        t.put("blobs", "127.0.0.1:" + grid.blobs.port());
        t.put("ssh", "127.0.0.1:" + grid.git.port());
        t.put("host-logs", URI.create(host.apiUrl()).getHost() + ":" + URI.create(host.apiUrl()).getPort());
        t.put("host-run-sessions", host.attachAddress());
        t.put("router-access-lines", "127.0.0.1:" + grid.routerLogs.port());
        t.put("metrics", "127.0.0.1:" + grid.metricsServer.port());
        t.put("postgres-archive", archiveRepository());
        return t;
    }

    /** The Postgres archive's repository (its TLS server, where the controller runs), once it is up. */
    private String archiveRepository() {
        return Eventually.await("the Postgres archive's repository", Duration.ofSeconds(30),
                () -> grid.store.values(Keys.ENDPOINTS, dev.grid.core.GridEndpoint.class).stream().filter(e -> e.what().startsWith("the Postgres archive"))
                        .map(e -> e.address() + ":" + e.port()).findFirst().orElse(null), a -> a != null);
    }

    @Test
    void anAppProcessGetsPastNoneOfTheArchivesTlsServers() {
        NodeReport primary = Eventually.await("the primary's pgBackRest server", Duration.ofSeconds(30),
                () -> Clusters.servingPrimary(grid.store, POSTGRES), r -> r != null && r.toolPort() > 0);
        String ca = Clusters.secrets(grid.store, POSTGRES).get(Clusters.TLS_CA); // public: apps get it once their add-on takes TLS
        // A node's tool port is outside the job ports, so the firewall lets the connection through: TLS alone keeps it.
        // The app runs pgBackRest's own client, as the repository would, with a certificate it made itself for the one
        // name the node lets in, and asks for a backup of the node's files.
        String out = asApp("d=$(mktemp -d) && cd $d && echo " + java.util.Base64.getEncoder().encodeToString(ca.getBytes(StandardCharsets.US_ASCII)) + " | base64 -d > ca.crt"
                + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k -out c -days 1 -subj /CN=grid-pgbackrest-repo 2>/dev/null"
                + " && chmod 600 k && printf '[global]\\nlog-level-file=off\\nlog-level-console=warn\\nlock-path=%s/l\\nrepo1-path=%s/repo\\n[main]\\npg1-host="
                + primary.address() + "\\npg1-host-type=tls\\npg1-host-port=" + primary.toolPort() + "\\npg1-host-ca-file=%s/ca.crt\\npg1-host-cert-file=%s/c"
                + "\\npg1-host-key-file=%s/k\\npg1-path=/data/pg\\n' $d $d $d $d $d > p.conf"
                + " && pgbackrest --config=$d/p.conf --stanza=main stanza-create 2>&1; echo node-exit-$?;"
                + " curl -sk -m 5 https://" + archiveRepository() + "/; echo repository-exit-$?");
        assertTrue(out.contains("unknown ca") && !out.contains("node-exit-0"), "a certificate Grid's CA did not issue gets no session with the node: " + out);
        assertTrue(out.contains("repository-exit-7"), "the repository's port is one of Grid's: refused outright: " + out);
        assertTrue(Eventually.await("the node's server still up", Duration.ofSeconds(5),
                () -> Clusters.servingPrimary(grid.store, POSTGRES).toolPort(), p -> p == primary.toolPort()) > 0);
    }

    private static void assertAll(String output, Map<String, String> targets, String expected) {
        for (String name : targets.keySet()) assertTrue(output.contains(name + " " + expected), name + " should be " + expected + ":\n" + output);
    }

    @Test
    void anAppProcessRunsAsItsOwnUserAndCannotRaiseItself() {
        String out = asApp("id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; cat /sys/fs/cgroup/pids/pids.max;"
                + " python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)' 2>&1 | tail -1;"
                + " touch /app/mine && echo app-is-writable; touch /etc/planted 2>&1 | tail -1; chown 0 /app/mine 2>&1 | tail -1");
        assertTrue(out.startsWith(attackerUid + "\n"), "runs as the app's own UID " + attackerUid + ": " + out);
        assertNotEquals(0, attackerUid);
        assertTrue(out.contains("CapEff:\t0000000000000000") && out.contains("CapBnd:\t0000000000000000"), "no capability, none to gain: " + out);
        assertTrue(out.contains("NoNewPrivs:\t1"), out);
        assertTrue(out.contains("\n" + dev.grid.host.Sandbox.APP_PIDS + "\n"), "a pids limit: " + out);
        assertTrue(out.contains("PermissionError"), "no raw socket to sniff loopback with: " + out);
        assertTrue(out.contains("app-is-writable"), "its own files are its own, as on a dyno: " + out);
        assertTrue(out.contains("Permission denied") && out.contains("Operation not permitted"), out);
    }

    @Test
    void anAppProcessReachesNoneOfGridsPortsAndWritesNothingToEtcd() {
        Map<String, String> targets = gridPorts();
        String planted = "planted-" + UUID.randomUUID();
        String b64 = java.util.Base64.getEncoder().encodeToString((grid.store.prefix() + planted).getBytes(StandardCharsets.UTF_8));
        String out = asApp(reach(targets) + " curl -s -m 3 http://127.0.0.1:" + URI.create(SharedEtcd.url()).getPort()
                + "/v3/kv/put -d '{\"key\":\"" + b64 + "\",\"value\":\"eA==\"}'; echo curl-exit-$?");
        assertAll(out, targets, "refused");
        assertTrue(out.contains("curl-exit-7"), "etcd refuses the connection itself: " + out);
        assertTrue(grid.store.get(planted).isEmpty(), "nothing was written");
    }

    @Test
    void anAppProcessReachesTheRouterItsOwnJobsAndAddOnRoutesButNoOtherJobOrDataNode() {
        NodeReport primary = Clusters.servingPrimary(grid.store, POSTGRES);
        Map<String, String> open = new LinkedHashMap<>();
        open.put("router", "127.0.0.1:" + grid.router.httpPort());
        open.put("own-web-job", "127.0.0.2:" + attackerWeb.path("port").asInt());
        open.put("postgres-route", "127.0.0.1:" + postgresRoute);
        Map<String, String> closed = new LinkedHashMap<>();
        closed.put("victim-web-job", "127.0.0.2:" + victimWeb.path("port").asInt());
        closed.put("victim-web-job-via-loopback", "127.0.0.1:" + victimWeb.path("port").asInt());
        closed.put("postgres-primary-node", primary.address() + ":" + primary.port());
        Map<String, String> all = new LinkedHashMap<>(open);
        all.putAll(closed);
        String out = asApp(reach(all));
        assertAll(out, open, "open");
        assertAll(out, closed, "refused");
    }

    @Test
    void anAppProcessSeesNoOtherContainerAndHoldsNoEtcdCredentials() {
        // The patterns are bracketed so that the script itself (in GRID_COMMAND) does not match them.
        String out = asApp("env | grep -c '^GRID_ETC[D]' ; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c 'GRID_ETCD_PASSWOR[D]=';"
                + " ls -d /proc/[0-9]* | wc -l");
        String[] lines = out.strip().split("\n");
        assertEquals("0", lines[0], "no etcd credentials in its own env: " + out);
        assertEquals("0", lines[1], "none readable in any process it can see: " + out);
        assertTrue(Integer.parseInt(lines[2].strip()) < 10, "its own processes only, not the data nodes': " + out);
    }

    // --- as a build ------------------------------------------------------------------------------

    @Test
    void aBuildRunsAsTheAppReachesNoneOfGridAndARefusedPushLeavesNoObjects() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"probe\"}");
        int uid = grid.api.ok("GET", "/apps/probe", null).path("app").path("uid").asInt();
        Map<String, String> targets = gridPorts();
        targets.put("victim-web-job", "127.0.0.2:" + victimWeb.path("port").asInt());
        Path src = git.repo("probe", Map.of(".buildpacks", "probe\n", "probe/bin/detect", "echo Probe\n",
                "probe/bin/compile", "echo \"uid $(id -u)\"; " + reach(targets) + " exit 1\n", "probe/bin/release", "echo ---\n"));
        TestGit.Result pushed = git.push(src, "probe");
        assertTrue(pushed.exit() != 0, pushed.output());
        assertTrue(pushed.output().contains("uid " + uid), "the build ran as the app's UID: " + pushed.output());
        assertAll(pushed.output(), targets, "refused");
        assertEquals(0, grid.api.ok("GET", "/apps/probe/releases", null).size(), "nothing was deployed");
        assertEquals(0, looseAndPackedObjects("probe"), "the refused push's objects were pruned");
    }

    @Test
    void aDockerfileRunStepIsAsConfinedAsABuildAndAddFetchesNothing() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"dockprobe\"}");
        int uid = grid.api.ok("GET", "/apps/dockprobe", null).path("app").path("uid").asInt();
        Map<String, String> targets = gridPorts();
        String run = "echo \"uid $(id -u) $(grep CapEff /proc/self/status)\"; " + reach(targets) + " exit 1";
        assertFalse(run.contains(" refused") || run.contains(" open"), "the step's text cannot pass for its output");
        Path src = git.repo("dockprobe", Map.of("Dockerfile", "FROM " + TestCluster.STACK_IMAGE + "\nRUN " + run.replace("\n", " ") + "\n"));
        TestGit.Result pushed = git.push(src, "dockprobe");
        assertTrue(pushed.exit() != 0, pushed.output());
        assertTrue(pushed.output().contains("uid " + uid + " CapEff:\t0000000000000000"), "RUN ran as the app, without capabilities: " + pushed.output());
        assertAll(pushed.output(), targets, "refused");

        Path adding = git.repo("dockadd", Map.of("Dockerfile", "FROM " + TestCluster.STACK_IMAGE + "\nADD http://127.0.0.1:" + grid.blobs.port()
                + "/blobs/x /x\n"));
        TestGit.Result add = git.push(adding, "dockprobe");
        assertTrue(add.exit() != 0 && add.output().contains("ADD of a URL is not supported"), add.output());
        Path other = git.repo("dockfrom", Map.of("Dockerfile", "FROM grid-app/attacker:latest\n"));
        TestGit.Result from = git.push(other, "dockprobe");
        assertTrue(from.exit() != 0 && from.output().contains("another app's image"), from.output());
        assertEquals(0, grid.api.ok("GET", "/apps/dockprobe/releases", null).size());
    }

    // --- as a pushed tree ----------------------------------------------------------------------

    @Test
    void aPushedSymlinkReadsNothingOfTheHost() throws Exception {
        String secret = "TOPSECRET-" + UUID.randomUUID();
        Path file = work.resolve("host-secret");
        Files.writeString(file, "web: echo " + secret + "\n{\"name\":\"" + secret + "\"}\n");
        grid.api.ok("POST", "/apps", "{\"name\":\"linker\"}");
        // The Procfile, package.json and a file a Dockerfile copies: each a link to the host's file.
        for (String linked : List.of("Procfile", "package.json", "leak")) {
            Path src = git.repo("link-" + linked, linked.equals("leak")
                    ? Map.of("Dockerfile", "FROM " + TestCluster.STACK_IMAGE + "\nCOPY leak /leak\nRUN cat /leak; exit 1\n")
                    : Map.of("server.js", "//\n"));
            Files.createSymbolicLink(src.resolve(linked), file);
            git.run(src, "git", "add", "-A");
            git.run(src, "git", "commit", "-q", "-m", "link");
            TestGit.Result pushed = git.push(src, "linker");
            assertTrue(pushed.exit() != 0, linked + ": " + pushed.output());
            assertFalse(pushed.output().contains(secret), linked + " leaked the host file: " + pushed.output());
        }
        // A build that leaves bin/release's answer as a link to the host's file.
        Path leaver = git.repo("link-out", Map.of(".buildpacks", "leaver\n", "leaver/bin/detect", "echo Leaver\n", "leaver/bin/compile", "true\n",
                "leaver/bin/release", "ln -sf " + file + " /tmp/out/release.yml\n", "Procfile", "web: sleep 1000\n"));
        TestGit.Result left = git.push(leaver, "linker");
        assertTrue(left.exit() != 0 && left.output().contains("the build left release.yml as a symbolic link: it was not read"), left.output());
        assertFalse(left.output().contains(secret), left.output());
        assertEquals(0, grid.api.ok("GET", "/apps/linker/releases", null).size());
    }

    @Test
    void malformedTreesAndOversizedPushesAreRefusedAndLeaveNoObjects() throws Exception {
        grid.api.ok("POST", "/apps", "{\"name\":\"malformed\"}");
        Path src = git.repo("malformed", Map.of("a.txt", "a\n"));
        String blob = git.run(src, "git", "rev-parse", "HEAD:a.txt").output().strip();
        byte[] id = java.util.HexFormat.of().parseHex(blob);
        for (List<String> names : List.of(List.of("a.txt", "a.txt"), List.of(".git"), List.of(".."))) {
            var tree = new java.io.ByteArrayOutputStream();
            for (String n : names) {
                tree.write(("100644 " + n + "\0").getBytes(StandardCharsets.UTF_8));
                tree.write(id);
            }
            Path raw = work.resolve("tree.bin");
            Files.write(raw, tree.toByteArray());
            String treeId = git.run(src, "git", "hash-object", "-t", "tree", "-w", "--literally", raw.toString()).output().strip();
            String commit = git.run(src, "git", "commit-tree", treeId, "-m", "bad").output().strip();
            TestGit.Result pushed = git.run(src, "git", "push", git.url("malformed"), commit + ":refs/heads/main");
            assertTrue(pushed.exit() != 0, names + ": " + pushed.output());
        }
        byte[] noise = new byte[(int) PUSH_LIMIT * 3];
        new SecureRandom().nextBytes(noise);
        Files.write(src.resolve("big.bin"), noise);
        git.run(src, "git", "add", "big.bin");
        git.run(src, "git", "commit", "-q", "-m", "big");
        TestGit.Result big = git.push(src, "malformed");
        assertTrue(big.exit() != 0, big.output());
        assertTrue(big.output().toLowerCase().contains("limit"), "says that the push is too large: " + big.output());
        assertEquals(0, looseAndPackedObjects("malformed"), "no refused push left objects behind");
        assertEquals(0, grid.api.ok("GET", "/apps/malformed/releases", null).size());
    }

    @Test
    void gridsOwnAppsTakeNoPushNoCloneNoOneOffRunAndNoResize() throws Exception {
        String system = POSTGRES.app();
        Path src = git.repo("system", Map.of("Procfile", "release: env\nweb: env\n"));
        TestGit.Result pushed = git.push(src, system);
        assertTrue(pushed.exit() != 0 && pushed.output().contains("is one of Grid's own apps"), pushed.output());
        TestGit.Result cloned = git.run(work, "git", "clone", git.url(system), work.resolve("cloned").toString());
        assertTrue(cloned.exit() != 0 && cloned.output().contains("is one of Grid's own apps"), cloned.output());
        var run = grid.api.cli("run", "-a", system, "env");
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("runs no one-off commands"), run.err());
        assertTrue(grid.api.jobs(system).stream().noneMatch(j -> j.path("type").asText().equals("run")), "nothing ran");
        var resize = grid.api.cli("ps:resize", "-a", system, "n0=64");
        assertNotEquals(0, resize.exitCode());
        assertTrue(resize.err().contains("is one of Grid's own apps: its sizes are its appliance's"), resize.err());
        assertEquals(1, grid.api.ok("GET", "/apps/" + system + "/releases", null).size(), "its first release is still its only one");
    }

    // --- as any process on the machine, at Grid's HTTP endpoints --------------------------------

    @Test
    void theBlobStoreAndTheLogServersAnswerOnlyGridsOwnParts() throws Exception {
        String slug = grid.api.ok("GET", "/apps/attacker/releases", null).get(0).path("slugUrl").asText();
        assertEquals(401, status(slug, null), "no credential");
        assertEquals(401, status(slug, "Bearer " + UUID.randomUUID()), "a made-up credential");
        try (Lease lease = grid.store.lease(30)) {
            String token = Credentials.issue(grid.store, "attack-test", lease.id());
            assertEquals(200, status(slug, Credentials.header(token)), "a Grid part's credential, at once");
            grid.api.ok("POST", "/addons/victim-db/backups", "{}");
            String backup = slug.substring(0, slug.lastIndexOf('/') + 1) + "backup-victim-db-b001.dump";
            assertTrue(grid.blobs.file("backup-victim-db-b001.dump").isPresent(), "the backup exists");
            assertEquals(404, status(backup, Credentials.header(token)), "a backup is never served, even to a Grid part");
        }
        HostInfo host = grid.store.get(Keys.host(grid.hostId("a")), HostInfo.class).orElseThrow();
        assertEquals(401, status(host.apiUrl() + "/jobs/" + victimWeb.path("id").asText() + "/logs", null), "another app's logs");
        assertEquals(401, status(grid.routerLogs.url() + "/apps/victim/logs", null), "another app's router lines (its clients' addresses and paths)");
        assertEquals(401, status(grid.routerLogs.url() + "/apps/victim/logs", "Bearer " + UUID.randomUUID()), "a made-up credential");
        // Every app's request counts and names: the scrape token's only, not even a Grid part's.
        String metrics = "http://127.0.0.1:" + grid.metricsServer.port() + "/metrics";
        assertEquals(401, status(metrics, null));
        try (Lease lease = grid.store.lease(30)) {
            assertEquals(401, status(metrics, Credentials.header(Credentials.issue(grid.store, "attack-test-metrics", lease.id()))));
        }
    }

    /** The WebSocket handshake's HTTP status for a run session on the API, as {@code authorization}. */
    private int runSessionStatus(String app, String authorization) {
        var b = HttpClient.newHttpClient().newWebSocketBuilder();
        if (authorization != null) b.header("Authorization", authorization);
        try {
            b.buildAsync(URI.create(grid.controller.url().replaceFirst("^http", "ws") + "/apps/" + app + "/run/attach"), new java.net.http.WebSocket.Listener() {})
                    .join().abort();
            return 101;
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) return h.getResponse().statusCode();
            throw e;
        }
    }

    /** What a host's run-session port answers to {@code first}, sent as the session's first bytes. */
    private static dev.grid.wire.RunFrames.Frame attachAnswer(java.net.InetSocketAddress address, byte[] first) throws IOException {
        try (java.net.Socket s = attach(address, first)) {
            return dev.grid.wire.RunFrames.read(s.getInputStream());
        }
    }

    /** A connection to a host's run-session port that has sent {@code first}. */
    private static java.net.Socket attach(java.net.InetSocketAddress address, byte[] first) throws IOException {
        java.net.Socket s = new java.net.Socket(address.getAddress(), address.getPort());
        s.setSoTimeout(15_000);
        s.getOutputStream().write(first);
        s.getOutputStream().flush();
        return s;
    }

    @Test
    void runSessionsAnswerOnlyTheOperatorAndGridsOwnParts() throws Exception {
        // On the API: only the operator's token opens a session (a scraper's, a made-up one or none: refused at the upgrade).
        String scrape = grid.api.cli("metrics:token").out().strip();
        assertEquals(401, runSessionStatus("victim", null));
        assertEquals(401, runSessionStatus("victim", "Bearer " + UUID.randomUUID()));
        assertEquals(401, runSessionStatus("victim", "Bearer " + scrape));
        assertEquals(101, runSessionStatus("victim", "Bearer " + grid.token), "the operator's token opens one");

        // On the host: an attached run of the victim's, its container made and waiting for its caller.
        String release = grid.api.ok("GET", "/apps/victim/releases", null).get(0).path("id").asText();
        String run = "victim-run-" + UUID.randomUUID().toString().substring(0, 8);
        grid.store.put(Keys.run(run), new dev.grid.core.OneOffRun(run, "victim", release, "echo planted-output", java.time.Instant.now(), false,
                dev.grid.core.OneOffRun.Stdio.PIPE));
        try {
            dev.grid.core.JobStatus waiting = Eventually.await("its container made", Duration.ofSeconds(20),
                    () -> grid.store.get(Keys.status(run), dev.grid.core.JobStatus.class).orElse(null), st -> st != null && st.containerId() != null);
            HostInfo host = grid.store.get(Keys.host(grid.hostId("a")), HostInfo.class).orElseThrow();
            byte[] madeUp = dev.grid.wire.RunFrames.encode(dev.grid.wire.RunFrames.text(dev.grid.wire.RunFrames.Type.ATTACH, run + "\nBearer " + UUID.randomUUID()));
            byte[] operators = dev.grid.wire.RunFrames.encode(dev.grid.wire.RunFrames.text(dev.grid.wire.RunFrames.Type.ATTACH, run + "\nBearer " + grid.token));
            byte[] noAttach = dev.grid.wire.RunFrames.encode(dev.grid.wire.RunFrames.text(dev.grid.wire.RunFrames.Type.IN, "id\n"));
            for (byte[] first : List.of(madeUp, operators, noAttach, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.UTF_8))) {
                var answer = attachAnswer(host.attachEndpoint(), first);
                assertEquals(dev.grid.wire.RunFrames.Type.FAIL, answer.type(), "refused: " + answer.text());
            }
            try (Lease lease = grid.store.lease(30)) {
                String part = Credentials.header(Credentials.issue(grid.store, "attack-test-attach", lease.id()));
                // A Grid part's credential still attaches to nothing but an attached run: not to the victim's web process.
                var web = attachAnswer(host.attachEndpoint(), dev.grid.wire.RunFrames.encode(dev.grid.wire.RunFrames.text(dev.grid.wire.RunFrames.Type.ATTACH,
                        victimWeb.path("id").asText() + "\n" + part)));
                assertEquals(dev.grid.wire.RunFrames.Type.FAIL, web.type());
                assertTrue(web.text().contains("is not an attached run"), web.text());
            }
            Thread.sleep(300);
            dev.grid.core.JobStatus after = grid.store.get(Keys.status(run), dev.grid.core.JobStatus.class).orElseThrow();
            assertEquals(waiting.containerId(), after.containerId());
            assertEquals(dev.grid.core.JobState.STARTING, after.state(), "nothing refused started it");
            assertEquals(null, after.startedAt());
            assertEquals(victimWeb.path("id").asText(), grid.api.upJobs("victim").get(0).path("id").asText(), "the victim's web process runs on, untouched");
            // Attached once: a second attach, even with a part's credential, gets nothing of the first one's session.
            try (Lease lease = grid.store.lease(30)) {
                String part = Credentials.header(Credentials.issue(grid.store, "attack-test-attach-twice", lease.id()));
                byte[] attach = dev.grid.wire.RunFrames.encode(dev.grid.wire.RunFrames.text(dev.grid.wire.RunFrames.Type.ATTACH, run + "\n" + part));
                try (java.net.Socket first = attach(host.attachEndpoint(), attach)) {
                    var out = dev.grid.wire.RunFrames.read(first.getInputStream());
                    assertEquals(dev.grid.wire.RunFrames.Type.OUT, out.type(), out.text());
                    assertEquals("planted-output\n", out.text());
                    var second = attachAnswer(host.attachEndpoint(), attach);
                    assertEquals(dev.grid.wire.RunFrames.Type.FAIL, second.type());
                    assertTrue(second.text().contains("attached once") || second.text().contains("has ended"), second.text());
                }
            }
        } finally {
            grid.store.delete(Keys.run(run));
        }
    }

    @Test
    void noApiAnswerAndNoEventCarriesAnApplianceSecretOrAPrivateKey() throws Exception {
        // Certificates are public (an app gets the CA once its add-on takes TLS); passwords and private keys are not.
        List<String> secrets = new ArrayList<>(Clusters.secrets(grid.store, POSTGRES).entrySet().stream()
                .filter(e -> !e.getKey().endsWith("_CERT") && !e.getKey().equals(Clusters.TLS_CA))
                // Where the archive is (its address, path and stanza) is no secret; its certificates' keys are.
                .filter(e -> !List.of("ARCHIVE_REPO", "ARCHIVE_REPO_PATH", "ARCHIVE_STANZA").contains(e.getKey())).map(Map.Entry::getValue).toList());
        assertTrue(secrets.stream().anyMatch(s -> s.contains("PRIVATE KEY")), "the cluster's private keys are among them");
        for (Object ca : (List<?>) grid.store.get(dev.grid.appliance.ClusterCa.KEY, Map.class).orElseThrow().get("cas")) {
            secrets.add(String.valueOf(((Map<?, ?>) ca).get("key"))); // Grid's CA keys
        }
        Map<?, ?> keeper = grid.store.get(Keys.appSecrets(POSTGRES.app()), Map.class).orElseThrow();
        secrets.add(String.valueOf(keeper.get("GRID_ETCD_PASSWORD")));
        Path dir = Files.createTempDirectory(work, "cert");
        TestGit.Result made = git.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=leak.test",
                "-keyout", "key.pem", "-out", "cert.pem", "-days", "1");
        assertEquals(0, made.exit(), made.output());
        String keyPem = Files.readString(dir.resolve("key.pem"));
        grid.api.ok("POST", "/certs", TestApi.JSON.writeValueAsString(Map.of("domain", "leak.test",
                "cert", Files.readString(dir.resolve("cert.pem")), "key", keyPem)));
        String keyBody = keyPem.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        secrets.add(keyBody);
        grid.api.ok("PATCH", "/apps/victim/config", "{\"set\":{\"AFTER\":\"x\"}}");
        Eventually.await("the config change's event", Duration.ofSeconds(10), () -> String.join("\n", events), e -> e.contains("AFTER"));

        StringBuilder answers = new StringBuilder(String.join("\n", events));
        for (String path : List.of("/apps", "/apps/" + POSTGRES.app(), "/apps/" + POSTGRES.app() + "/config", "/apps/" + POSTGRES.app() + "/releases",
                "/apps/" + POSTGRES.app() + "/jobs", "/status", "/certs", "/addons", "/addons/victim-db", "/apps/victim/config", "/routes")) {
            answers.append(grid.api.ok("GET", path, null));
        }
        for (String s : secrets) {
            assertTrue(s.length() >= 16, "a real secret: " + s);
            assertFalse(answers.toString().contains(s), "an answer or an event carries a secret");
        }
        assertTrue(answers.toString().contains("GRID_CLUSTER"), "the system app's release was read");
    }

    @Test
    void aKeepersEtcdUserReachesItsOwnClusterOnly() {
        Map<?, ?> keeper = grid.store.get(Keys.appSecrets(POSTGRES.app()), Map.class).orElseThrow();
        String before = grid.store.get(POSTGRES.state()).orElseThrow().value();
        try (Store as = Store.connect(List.of(SharedEtcd.url()), grid.store.prefix(),
                EtcdAccess.password(String.valueOf(keeper.get("GRID_ETCD_USER")), String.valueOf(keeper.get("GRID_ETCD_PASSWORD"))))) {
            assertTrue(as.get(POSTGRES.state()).isPresent(), "it reads its cluster's state");
            assertThrows(StoreException.class, () -> as.put(POSTGRES.state(), "{}"), "but does not decide it");
            assertThrows(StoreException.class, () -> as.get(Keys.app("victim")));
            assertThrows(StoreException.class, () -> as.get(Keys.appSecrets(POSTGRES.app())));
            assertTrue(grid.store.get(dev.grid.appliance.ClusterCa.KEY).isPresent(), "the CA that issued the cluster's certificates");
            assertThrows(StoreException.class, () -> as.get(dev.grid.appliance.ClusterCa.KEY), "no node can issue itself a certificate");
            assertThrows(StoreException.class, () -> as.list(""));
            assertThrows(StoreException.class, () -> as.put(Keys.route("planted"), "{}"));
        }
        assertEquals(before, grid.store.get(POSTGRES.state()).orElseThrow().value());
        assertTrue(grid.store.get(Keys.route("planted")).isEmpty());
    }

    @Test
    void noAppCanRegisterIntoAnotherServiceByItsName() {
        grid.api.ok("POST", "/apps", "{\"name\":\"grid\"}");
        grid.api.ok("POST", "/apps/grid/releases", "{\"image\":\"" + TestCluster.STACK_IMAGE + "\",\"processes\":{\"postgres-main\":{\"command\":"
                + TestApi.JSON.valueToTree(TestCluster.WEB) + "}}}");
        assertEquals(0, grid.api.cli("ps:scale", "-a", "grid", "postgres-main=1").exitCode());
        Eventually.await("its job registered", Duration.ofSeconds(20), () -> grid.store.list(Keys.instances("grid.postgres-main")).entries(), e -> e.size() == 1);
        List<String> clusterInstances = grid.store.list(Keys.instances(POSTGRES.service())).entries().stream().map(e -> e.name()).toList();
        assertTrue(List.of("n0", "n1", "n2").containsAll(clusterInstances) && !clusterInstances.isEmpty(),
                "the cluster's service holds its nodes only: " + clusterInstances);
    }

    // --- helpers ------------------------------------------------------------------------------

    private int status(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) b.header("Authorization", authorization);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Objects in the app's repository on the git server, loose or in packs. */
    private long looseAndPackedObjects(String app) throws Exception {
        // Kept under the app's UID (GitServer), which no other app is ever given.
        int uid = grid.api.ok("GET", "/apps/" + app, null).path("app").path("uid").asInt();
        Path repo = grid.stateDir.resolve("git").resolve("repos").resolve("u" + uid).resolve(app + ".git");
        assertTrue(java.nio.file.Files.isDirectory(repo), "the push made " + repo);
        TestGit.Result counted = git.run(repo, "git", "count-objects", "-v");
        long n = 0;
        for (String line : counted.output().split("\n")) {
            if (line.startsWith("count: ") || line.startsWith("in-pack: ")) n += Long.parseLong(line.substring(line.indexOf(' ') + 1).strip());
        }
        return n;
    }




}
