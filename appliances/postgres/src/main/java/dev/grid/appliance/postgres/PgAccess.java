package dev.grid.appliance.postgres;

import dev.grid.appliance.Clusters;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may sign in to a node, and how. The superuser ({@value #SUPERUSER}) and the replication
 * user ({@value #REPLICATION}) need, besides their passwords, a client certificate of the
 * cluster's (Grid's CA issues them; the cluster's keepers and the controller hold them, no app
 * does), over TLS; any other connection as them is refused, so their passwords alone open
 * nothing. Addresses could not say this: a client through an add-on's route arrives from the
 * router's host, the same address the controller and the nodes come from. The add-on roles sign
 * in by password, over TLS or not. A cluster an earlier Grid made has no certificates and keeps
 * the rules it had.
 */
final class PgAccess {
    static final String SUPERUSER = "grid";
    static final String REPLICATION = "replicator";

    private PgAccess() {}

    /** pg_hba.conf: the first line that matches decides. */
    static String hba(boolean tls) {
        if (!tls) {
            return """
                    # Grid: the keeper over the container's socket; replication and apps by password.
                    local all all trust
                    host replication replicator 0.0.0.0/0 scram-sha-256
                    host all all 0.0.0.0/0 scram-sha-256
                    """;
        }
        return """
                # Written by the Grid keeper; changes here are overwritten.
                # The keeper over the container's socket.
                local all all trust
                # The superuser and replication: the cluster's certificate and the password, over TLS.
                hostssl replication replicator all scram-sha-256 clientcert=verify-full
                hostssl all grid all scram-sha-256 clientcert=verify-full
                host replication all all reject
                host all grid all reject
                host all replicator all reject
                # Add-on roles by password.
                host all all all scram-sha-256
                """;
    }

    /** Whether the node's cluster has certificates (one made by this Grid or later). */
    static boolean tls(Map<String, String> secrets) {
        return secrets.containsKey(Clusters.TLS_CA);
    }

    /** The TLS files a node keeps in {@code dir} (file name to content): the CA, its server's pair, each user's pair. */
    static Map<String, String> files(Map<String, String> secrets) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("ca.crt", secrets.get(Clusters.TLS_CA));
        out.put("server.crt", secrets.get(Clusters.TLS_SERVER_CERT));
        out.put("server.key", secrets.get(Clusters.TLS_SERVER_KEY));
        for (String user : new String[] {SUPERUSER, REPLICATION}) {
            out.put(user + ".crt", secrets.get(Clusters.tlsClientCert(user)));
            out.put(user + ".key", secrets.get(Clusters.tlsClientKey(user)));
        }
        out.values().removeIf(java.util.Objects::isNull);
        return out;
    }

    /**
     * libpq's settings for signing in as {@code user} by certificate (pg_basebackup, pg_rewind):
     * TLS that checks the server's certificate against the cluster's CA. The server's name is
     * not checked (verify-ca): nodes move between hosts, and their certificate names the cluster.
     */
    static Map<String, String> libpqEnv(Path dir, String user) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGSSLMODE", "verify-ca");
        env.put("PGSSLROOTCERT", dir.resolve("ca.crt").toString());
        env.put("PGSSLCERT", dir.resolve(user + ".crt").toString());
        env.put("PGSSLKEY", dir.resolve(user + ".key").toString());
        return env;
    }

    /** The same as conninfo keywords, for primary_conninfo. */
    static String conninfo(Path dir, String user) {
        return " sslmode=verify-ca sslrootcert=" + dir.resolve("ca.crt") + " sslcert=" + dir.resolve(user + ".crt")
                + " sslkey=" + dir.resolve(user + ".key");
    }
}
