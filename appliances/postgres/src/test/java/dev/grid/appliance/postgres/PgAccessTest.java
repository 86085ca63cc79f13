package dev.grid.appliance.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.grid.appliance.ClusterCa;
import dev.grid.appliance.Clusters;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PgAccessTest {
    /**
     * The pg_hba line Postgres would pick for a TCP connection (the first whose type, database
     * and user match), as "METHOD OPTIONS"; null for none (refused).
     */
    static String decide(String hba, boolean ssl, boolean replication, String user) {
        for (String line : hba.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
            List<String> f = List.of(line.split("\\s+"));
            String type = f.get(0);
            if (type.equals("local") || (type.equals("hostssl") && !ssl) || (type.equals("hostnossl") && ssl)) continue;
            String db = f.get(1);
            if (replication != db.equals("replication") && !(db.equals("all") && !replication)) continue;
            if (!f.get(2).equals("all") && !f.get(2).equals(user)) continue;
            return String.join(" ", f.subList(4, f.size()));
        }
        return null;
    }

    @Test
    void theSuperuserAndReplicationNeedTheClustersCertificateOverTlsAndAddonRolesAPassword() {
        String hba = PgAccess.hba(true);
        for (String user : List.of("grid", "replicator")) {
            assertEquals("reject", decide(hba, false, false, user), user + " without TLS");
            assertEquals("reject", decide(hba, false, true, user), user + " replicating without TLS");
        }
        assertEquals("scram-sha-256 clientcert=verify-full", decide(hba, true, false, "grid"));
        assertEquals("scram-sha-256 clientcert=verify-full", decide(hba, true, true, "replicator"));
        assertEquals("reject", decide(hba, true, true, "grid"), "the superuser does not replicate");
        assertEquals("reject", decide(hba, true, true, "shop_db"), "no add-on role replicates");
        assertEquals("reject", decide(hba, false, true, "shop_db"));
        assertEquals("scram-sha-256", decide(hba, false, false, "shop_db"), "add-on roles by password, TLS or not");
        assertEquals("scram-sha-256", decide(hba, true, false, "shop_db"));
        assertTrue(hba.contains("local all all trust"), "the keeper over the container's socket");
    }

    @Test
    void aClusterAnEarlierGridMadeKeepsItsRules() {
        assertEquals(false, PgAccess.tls(Map.of("SUPERUSER_PASSWORD", "x", "REPLICATION_PASSWORD", "y")));
        assertEquals("scram-sha-256", decide(PgAccess.hba(false), false, false, "grid"));
        assertEquals("scram-sha-256", decide(PgAccess.hba(false), false, true, "replicator"));
    }

    @Test
    void aNodeKeepsTheCaItsServersPairAndEachUsersPairAndLibpqIsPointedAtThem() {
        Map<String, String> secrets = new HashMap<>(Map.of("SUPERUSER_PASSWORD", "x"));
        secrets.putAll(Clusters.tlsSecrets(ClusterCa.create("t"), new Clusters.Tls("grid-postgres-main", List.of("127.0.0.1"), List.of("grid", "replicator"))));
        assertTrue(PgAccess.tls(secrets));
        Map<String, String> files = PgAccess.files(secrets);
        assertEquals(List.of("ca.crt", "server.crt", "server.key", "grid.crt", "grid.key", "replicator.crt", "replicator.key"), List.copyOf(files.keySet()));
        assertEquals("CN=replicator", ClusterCa.certificate(files.get("replicator.crt")).getSubjectX500Principal().getName());
        Path dir = Path.of("/data/tls");
        assertEquals(Map.of("PGSSLMODE", "verify-ca", "PGSSLROOTCERT", "/data/tls/ca.crt", "PGSSLCERT", "/data/tls/replicator.crt",
                "PGSSLKEY", "/data/tls/replicator.key"), PgAccess.libpqEnv(dir, "replicator"));
        assertEquals(" sslmode=verify-ca sslrootcert=/data/tls/ca.crt sslcert=/data/tls/grid.crt sslkey=/data/tls/grid.key", PgAccess.conninfo(dir, "grid"));
    }
}
