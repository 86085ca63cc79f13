package dev.grid.appliance.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterCa;
import dev.grid.appliance.Clusters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PgBackRestTest {
    private static Map<String, String> archived() {
        Map<String, String> s = new HashMap<>(Map.of(Clusters.TLS_CA, "CA", PgBackRest.REPO, "10.0.0.5:41000", PgBackRest.REPO_PATH, "/var/lib/grid/pgbackrest/repo",
                PgBackRest.STANZA, "main", PgBackRest.NODE_CERT, "C", PgBackRest.NODE_KEY, "K", PgBackRest.NODE_CLIENT_CERT, "CC", PgBackRest.NODE_CLIENT_KEY, "CK"));
        return s;
    }

    @Test
    void aNodePushesItsWalToTheRepositoryOverTlsAndLetsOnlyTheRepositoryIn() {
        String conf = PgBackRest.nodeConf(archived(), Path.of("/data/backrest"), "10.0.0.7", 40123, Path.of("/data/pg"), 20004);
        for (String line : List.of("repo1-host=10.0.0.5", "repo1-host-type=tls", "repo1-host-port=41000", "repo1-path=/var/lib/grid/pgbackrest/repo",
                "repo1-host-cert-file=/data/backrest/client.crt", "tls-server-address=10.0.0.7", "tls-server-port=40123",
                "tls-server-auth=grid-pgbackrest-repo=main", "[main]", "pg1-path=/data/pg", "pg1-port=20004", "pg1-socket-path=/tmp")) {
            assertTrue(conf.lines().anyMatch(line::equals), line + " in\n" + conf);
        }
        assertEquals("pgbackrest --config=/data/backrest/pgbackrest.conf --stanza=main archive-push %p",
                PgBackRest.archiveCommand(Path.of("/data/backrest/pgbackrest.conf"), archived()));
    }

    @Test
    void withoutAnArchiveANodeLetsEachSegmentGo() {
        Map<String, String> none = new HashMap<>(archived());
        none.remove(PgBackRest.REPO);
        assertFalse(PgBackRest.configured(none));
        assertEquals("/bin/true", PgBackRest.archiveCommand(Path.of("/x"), none));
        assertEquals(Map.of(), PgBackRest.nodeSecrets(Map.of("SUPERUSER_PASSWORD", "p")), "no other secret restarts pgBackRest's server");
    }

    @Test
    void theRepositoryBacksUpFromEveryNodeItKnowsAndLetsOnlyNodesIn() {
        String conf = PgBackRest.repoConf("main", PgBackRest.repository(Map.of(), Path.of("/g/repo")), Path.of("/g"), "10.0.0.5", 41000,
                List.of(new PgBackRest.Node("10.0.0.7", 40123, 20004), new PgBackRest.Node("10.0.0.8", 40200, 20001)));
        for (String line : List.of("repo1-path=/g/repo", "repo1-retention-full=" + PgBackRest.FULL_BACKUPS_KEPT, "tls-server-auth=grid-pgbackrest-node=main",
                "pg1-host=10.0.0.7", "pg1-host-port=40123", "pg1-port=20004", "pg2-host=10.0.0.8", "pg2-host-port=40200", "pg2-path=/data/pg",
                "pg2-host-cert-file=/g/client.crt")) {
            assertTrue(conf.lines().anyMatch(line::equals), line + " in\n" + conf);
        }
        assertFalse(conf.contains("pg3-"));
    }

    @Test
    void anOperatorPointsTheRepositoryAtS3WithPgBackRestsOwnOptionsAndNothingElse() {
        Map<String, String> s3 = PgBackRest.operatorRepo("""
                # MinIO on the storage network
                repo1-type=s3
                repo1-s3-endpoint=minio.internal:9000
                repo1-s3-bucket=grid-archive
                repo1-s3-region=us-east-1
                repo1-s3-key=KEY
                repo1-s3-key-secret=SECRET
                repo1-s3-uri-style=path

                """);
        assertEquals("/grid-pgbackrest", s3.get("repo1-path"), "a prefix within the bucket, when none is named");
        Map<String, String> repo = PgBackRest.repository(s3, Path.of("/g/repo"));
        assertFalse(PgBackRest.local(repo));
        String conf = PgBackRest.repoConf("main", repo, Path.of("/g"), "10.0.0.5", 41000, List.of());
        for (String line : List.of("repo1-type=s3", "repo1-path=/grid-pgbackrest", "repo1-s3-bucket=grid-archive", "repo1-s3-key-secret=SECRET", "repo1-bundle=y",
                "repo1-retention-full=" + PgBackRest.FULL_BACKUPS_KEPT, "tls-server-auth=grid-pgbackrest-node=main")) {
            assertTrue(conf.lines().anyMatch(line::equals), line + " in\n" + conf);
        }
        assertEquals(1, conf.lines().filter(l -> l.startsWith("repo1-path=")).count(), "one path: the operator's");
        // The repository's TLS server reads the file a client names: each node names the repository's, and holds no key.
        Map<String, String> secrets = new HashMap<>(archived());
        secrets.put(PgBackRest.REPO_PATH, repo.get("repo1-path"));
        secrets.put(PgBackRest.REPO_CONFIG, "/g/pgbackrest.conf");
        String node = PgBackRest.nodeConf(secrets, Path.of("/data/backrest"), "10.0.0.7", 40123, Path.of("/data/pg"), 20004);
        for (String line : List.of("repo1-host-type=tls", "repo1-path=/grid-pgbackrest", "repo1-host-config=/g/pgbackrest.conf")) {
            assertTrue(node.lines().anyMatch(line::equals), line + " in\n" + node);
        }
        assertFalse(node.contains("SECRET") || node.contains("repo1-s3"), "no key on a node:\n" + node);
        assertTrue(PgBackRest.nodeSecrets(secrets).containsKey(PgBackRest.REPO_CONFIG), "a new file restarts the node's pgBackRest server");
        Map<String, String> nfs = PgBackRest.repository(PgBackRest.operatorRepo("repo1-path=/mnt/nfs/grid\n"), Path.of("/g/repo"));
        assertTrue(PgBackRest.local(nfs));
        assertEquals("/mnt/nfs/grid", nfs.get("repo1-path"), "a shared directory every controller mounts");
        assertEquals("/g/repo", PgBackRest.repository(Map.of(), Path.of("/g/repo")).get("repo1-path"), "no options: Grid's own directory");

        for (String[] bad : new String[][] {
                {"repo1-host=elsewhere", "line 1: Grid sets repo1-host itself"},
                {"repo1-retention-full=30", "line 1: Grid sets repo1-retention-full itself"},
                {"repo1-bundle=n", "line 1: Grid sets repo1-bundle itself"},
                {"repo1-type=s3\npg1-path=/x", "line 2 is not a pgBackRest repository option (repo1-NAME=VALUE): pg1-path=/x"},
                {"repo1-s3-bucket", "line 1 is not a pgBackRest repository option"},
                {"repo1-s3-bucket=", "line 1 is not a pgBackRest repository option"},
                {"repo1-type=ftp", "repo1-type ftp is not one pgBackRest 2.45 has"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgBackRest.operatorRepo(bad[0]), bad[0]);
            assertTrue(e.getMessage().startsWith(bad[1]), e.getMessage());
        }
    }

    @Test
    void timesAreReadInTheFormsPeopleWriteThem() {
        Instant at = Instant.parse("2026-12-07T09:30:00Z");
        assertEquals(at, PgBackRest.parseTime("2026-12-07T09:30:00Z"));
        assertEquals(at, PgBackRest.parseTime("2026-12-07T10:30:00+01:00"));
        assertEquals(at, PgBackRest.parseTime("2026-12-07 09:30 UTC"));
        assertEquals(at, PgBackRest.parseTime(" 2026-12-07 9:30 UTC "));
        assertEquals(at.plusSeconds(15), PgBackRest.parseTime("2026-12-07 10:30:15 Europe/Paris"));
        for (String bad : List.of("yesterday", "2026-12-07 09:30", "2026-12-07 09:30 Mars/Olympus", "2026-13-07 09:30 UTC")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgBackRest.parseTime(bad), bad);
            assertTrue(e.getMessage().contains("'2026-12-07 09:30 UTC'"), e.getMessage());
        }
    }

    @Test
    void theWindowReachesBackToTheOldestBackupsEnd() throws Exception {
        String info = """
                [{"name":"main","backup":[
                  {"label":"20261205-020000F","timestamp":{"start":1764900000,"stop":1764900040},"type":"full"},
                  {"label":"20261206-020000F","timestamp":{"start":1764986400,"stop":1764986430},"type":"full"}],
                  "status":{"code":0}}]""";
        PgArchive.Window w = PgArchive.window(info);
        assertEquals(Instant.ofEpochSecond(1764900040), w.since());
        assertEquals(Instant.ofEpochSecond(1764986430), w.newestBackup());
        assertEquals(2, w.backups());
        assertNull(PgArchive.window("[{\"name\":\"main\",\"backup\":[],\"status\":{\"code\":2}}]"), "no backup, no window");
    }

    @Test
    void aNodeCertificateIsMadeAgainForAnAddressItDoesNotName() {
        ClusterCa ca = ClusterCa.create("test");
        String cert = ca.issue("grid-pgbackrest-node", true, List.of("127.0.0.2", "127.0.0.3"), ClusterCa.LEAF_VALIDITY, true).certPem();
        assertTrue(PgArchive.names(cert, Set.of("127.0.0.2", "127.0.0.3")), "pgBackRest matches host names: the addresses are named so");
        assertFalse(PgArchive.names(cert, Set.of("127.0.0.2", "127.0.0.4")));
        assertFalse(PgArchive.names(ca.issue("x", true, List.of("127.0.0.2")).certPem(), Set.of("127.0.0.2")), "an IP address alone is not a name to pgBackRest");
        assertFalse(PgArchive.names(ca.issue("x", true, List.of("127.0.0.2"), Duration.ofDays(30), true).certPem(), Set.of("127.0.0.2")), "one ending soon is made again");
        assertFalse(PgArchive.names(null, Set.of()));
    }
}
