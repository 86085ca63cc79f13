package dev.grid.appliance.postgres;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * pgBackRest's configuration for Grid's Postgres archive, as text: the repository's, where the
 * controller runs (its TLS server takes the primary's WAL; base backups and restores run there,
 * with the repository local), and each node's (archive-push to the repository over TLS, and a TLS
 * server of its own that base backups read the node's files through). Both sides check each
 * other's certificate against Grid's CA, and each server lets in one client name only.
 *
 * <p>pgBackRest's TLS client compares the address it connects to with the certificate's host
 * names (not its IP addresses): the servers' certificates name their addresses as host names too.
 */
final class PgBackRest {
    /** The client name a node signs in to the repository with, and the repository to a node with. */
    static final String NODE_CLIENT = "grid-pgbackrest-node";
    static final String REPO_CLIENT = "grid-pgbackrest-repo";

    /** The cluster's secrets that tell its nodes where the archive is, and with which certificates. */
    static final String REPO = "ARCHIVE_REPO";
    static final String REPO_PATH = "ARCHIVE_REPO_PATH";
    /**
     * Where the repository host's configuration is: a repository's TLS server runs a client's
     * command with the options the client sends and the configuration file the client names
     * ({@code repo1-host-config}, /etc/pgbackrest/pgbackrest.conf by default). Secure options (an
     * operator's S3 keys) are never sent, so every client names the repository's file, and the
     * keys stay on the controller's machine.
     */
    static final String REPO_CONFIG = "ARCHIVE_REPO_CONFIG";
    static final String STANZA = "ARCHIVE_STANZA";
    static final String NODE_CERT = "ARCHIVE_NODE_CERT";
    static final String NODE_KEY = "ARCHIVE_NODE_KEY";
    static final String NODE_CLIENT_CERT = "ARCHIVE_NODE_CLIENT_CERT";
    static final String NODE_CLIENT_KEY = "ARCHIVE_NODE_CLIENT_KEY";

    /** How many full backups the repository keeps: the rollback window reaches back to the oldest. */
    static final int FULL_BACKUPS_KEPT = 3;
    /** At most this many seconds of committed transactions wait for their WAL segment to be archived. */
    static final int ARCHIVE_TIMEOUT_SECONDS = 60;

    private PgBackRest() {}

    /** Whether the cluster's secrets say where the archive is (else a node archives nothing). */
    static boolean configured(Map<String, String> secrets) {
        return secrets.containsKey(REPO) && secrets.containsKey(REPO_PATH) && secrets.containsKey(NODE_CERT)
                && secrets.containsKey(NODE_CLIENT_CERT) && secrets.containsKey(dev.grid.appliance.Clusters.TLS_CA);
    }

    /** The secrets a node's archiving depends on: when they change, its pgBackRest server starts again with them. */
    static Map<String, String> nodeSecrets(Map<String, String> secrets) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (String k : List.of(REPO, REPO_PATH, REPO_CONFIG, STANZA, NODE_CERT, NODE_KEY, NODE_CLIENT_CERT, NODE_CLIENT_KEY, dev.grid.appliance.Clusters.TLS_CA)) {
            if (secrets.containsKey(k)) out.put(k, secrets.get(k));
        }
        return out;
    }

    /** The TLS files a node keeps in its directory for pgBackRest (file name to content). */
    static Map<String, String> nodeFiles(Map<String, String> secrets) {
        return Map.of("ca.crt", secrets.get(dev.grid.appliance.Clusters.TLS_CA),
                "server.crt", secrets.get(NODE_CERT), "server.key", secrets.get(NODE_KEY),
                "client.crt", secrets.get(NODE_CLIENT_CERT), "client.key", secrets.get(NODE_CLIENT_KEY));
    }

    /**
     * A node's configuration: archive-push to the repository in {@code secrets}, and its own TLS
     * server on {@code address:serverPort} for the repository alone. Its files are in {@code dir}.
     */
    static String nodeConf(Map<String, String> secrets, Path dir, String address, int serverPort, Path pgdata, int pgPort) {
        String[] repo = secrets.get(REPO).split(":");
        List<String> l = new ArrayList<>(List.of("# Written by the Grid keeper; changes here are overwritten.", "[global]",
                "repo1-host=" + repo[0],
                "repo1-host-type=tls",
                "repo1-host-port=" + repo[1],
                "repo1-path=" + secrets.get(REPO_PATH)));
        if (secrets.containsKey(REPO_CONFIG)) l.add("repo1-host-config=" + secrets.get(REPO_CONFIG));
        l.addAll(List.of(
                "repo1-host-ca-file=" + dir.resolve("ca.crt"),
                "repo1-host-cert-file=" + dir.resolve("client.crt"),
                "repo1-host-key-file=" + dir.resolve("client.key"),
                "tls-server-address=" + address,
                "tls-server-port=" + serverPort,
                "tls-server-ca-file=" + dir.resolve("ca.crt"),
                "tls-server-cert-file=" + dir.resolve("server.crt"),
                "tls-server-key-file=" + dir.resolve("server.key"),
                "tls-server-auth=" + REPO_CLIENT + "=" + stanza(secrets)));
        l.addAll(common(dir.resolve("spool")));
        l.addAll(List.of("", "[" + stanza(secrets) + "]", "pg1-path=" + pgdata, "pg1-port=" + pgPort, "pg1-socket-path=/tmp"));
        return String.join("\n", l) + "\n";
    }

    /** A node as the repository reaches it: its address, its TLS server's port, and its Postgres port. */
    record Node(String address, int toolPort, int pgPort) {}

    /**
     * The repository's configuration: the repository as {@code repo}'s options say ({@link #repository}),
     * its TLS server on
     * {@code address:port} for the nodes alone, and the nodes it takes base backups from (pgBackRest
     * finds the primary among them). Its files are in {@code dir}.
     */
    static String repoConf(String stanza, Map<String, String> repo, Path dir, String address, int port, List<Node> nodes) {
        List<String> l = new ArrayList<>(List.of("# Written by Grid's controller; changes here are overwritten.", "[global]"));
        repo.forEach((k, v) -> l.add(k + "=" + v));
        l.addAll(List.of(
                "repo1-retention-full=" + FULL_BACKUPS_KEPT,
                // Small files in a few bundles, not an object each: a base backup of a new cluster is a thousand files,
                // and an object store pays a request per object.
                "repo1-bundle=y",
                "start-fast=y",
                "tls-server-address=" + address,
                "tls-server-port=" + port,
                "tls-server-ca-file=" + dir.resolve("ca.crt"),
                "tls-server-cert-file=" + dir.resolve("server.crt"),
                "tls-server-key-file=" + dir.resolve("server.key"),
                "tls-server-auth=" + NODE_CLIENT + "=" + stanza));
        l.addAll(common(dir.resolve("spool")));
        l.add("");
        l.add("[" + stanza + "]");
        int i = 1;
        for (Node n : nodes) {
            l.addAll(List.of("pg" + i + "-host=" + n.address(), "pg" + i + "-host-type=tls", "pg" + i + "-host-port=" + n.toolPort(),
                    "pg" + i + "-host-ca-file=" + dir.resolve("ca.crt"), "pg" + i + "-host-cert-file=" + dir.resolve("client.crt"),
                    "pg" + i + "-host-key-file=" + dir.resolve("client.key"), "pg" + i + "-path=" + PostgresDatastore.PGDATA,
                    "pg" + i + "-port=" + n.pgPort(), "pg" + i + "-socket-path=/tmp"));
            i++;
        }
        return String.join("\n", l) + "\n";
    }

    /**
     * A scratch server's configuration for a restore: the repository through its TLS server (as a
     * node reaches it, with a node's client certificate), and the scratch server's own data in
     * {@code pgdata}; its files are in {@code dir}.
     */
    static String scratchConf(String stanza, String repoAddress, int repoPort, Path repoPath, Path repoConfig, Path dir, Path pgdata, int pgPort) {
        List<String> l = new ArrayList<>(List.of("# A scratch restore's, written by Grid's controller.", "[global]",
                "repo1-host=" + repoAddress, "repo1-host-type=tls", "repo1-host-port=" + repoPort, "repo1-path=" + repoPath,
                "repo1-host-ca-file=" + dir.resolve("ca.crt"), "repo1-host-cert-file=" + dir.resolve("client.crt"),
                "repo1-host-key-file=" + dir.resolve("client.key"), "repo1-host-config=" + repoConfig));
        l.addAll(common(dir.resolve("spool")));
        l.addAll(List.of("", "[" + stanza + "]", "pg1-path=" + pgdata, "pg1-port=" + pgPort, "pg1-socket-path=" + dir));
        return String.join("\n", l) + "\n";
    }

    private static List<String> common(Path spool) {
        // A node or the repository that does not answer fails a command in a minute or two, not in pgBackRest's default half hour.
        return List.of("log-level-console=warn", "log-level-stderr=warn", "log-level-file=off", "spool-path=" + spool, "lock-path=" + spool.resolve("lock"),
                "io-timeout=30", "db-timeout=60", "protocol-timeout=90");
    }

    /**
     * The repository an operator points the archive at (GRID_PG_ARCHIVE_REPO's file): pgBackRest's
     * own {@code repo1-*} options, one {@code name=value} per line ({@code #} comments and blank
     * lines aside), e.g. {@code repo1-type=s3} with its bucket, endpoint, region and keys. Anything
     * else, or an option Grid sets itself, is refused with the line.
     */
    static Map<String, String> operatorRepo(String text) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        int n = 0;
        for (String raw : text.split("\n")) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int eq = line.indexOf('=');
            String name = eq < 0 ? line : line.substring(0, eq).strip();
            if (eq < 0 || !name.matches("repo1-[a-z0-9-]+") || line.substring(eq + 1).isBlank()) {
                throw new IllegalArgumentException("line " + n + " is not a pgBackRest repository option (repo1-NAME=VALUE): " + line);
            }
            if (name.startsWith("repo1-host") || name.startsWith("repo1-retention") || name.startsWith("repo1-bundle")) {
                throw new IllegalArgumentException("line " + n + ": Grid sets " + name + " itself (the repository host is Grid's controller; it keeps "
                        + FULL_BACKUPS_KEPT + " full backups, their small files bundled)");
            }
            out.put(name, line.substring(eq + 1).strip());
        }
        if (out.containsKey("repo1-type") && !List.of("posix", "s3", "azure", "gcs", "cifs", "sftp").contains(out.get("repo1-type"))) {
            throw new IllegalArgumentException("repo1-type " + out.get("repo1-type") + " is not one pgBackRest 2.45 has: posix, s3, azure, gcs, cifs or sftp");
        }
        if (!"posix".equals(out.getOrDefault("repo1-type", "posix")) && !out.containsKey("repo1-path")) {
            out.put("repo1-path", "/grid-pgbackrest"); // the prefix within a bucket or container
        }
        return out;
    }

    /** The repository's options: the operator's, with the local {@code defaultPath} where they name no path (a posix repository, Grid's default). */
    static Map<String, String> repository(Map<String, String> operator, Path defaultPath) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        out.put("repo1-path", defaultPath.toString());
        out.putAll(operator);
        return out;
    }

    /** Whether the repository is a directory of this machine, which Grid makes. */
    static boolean local(Map<String, String> repository) {
        return "posix".equals(repository.getOrDefault("repo1-type", "posix"));
    }

    static String stanza(Map<String, String> secrets) {
        return secrets.getOrDefault(STANZA, "main");
    }

    /** The archive_command of a node whose cluster has an archive, and of one that has none (each WAL segment is let go). */
    static String archiveCommand(Path conf, Map<String, String> secrets) {
        if (!configured(secrets)) return "/bin/true";
        return "pgbackrest --config=" + conf + " --stanza=" + stanza(secrets) + " archive-push %p";
    }

    /**
     * A moment as {@code --to} takes it: an ISO instant ({@code 2026-12-07T09:30:00Z}), a date and
     * time with an offset ({@code 2026-12-07T09:30:00+01:00}), or {@code YYYY-MM-DD HH:MM[:SS] ZONE}
     * ({@code 2026-12-07 09:30 UTC}, {@code 2026-12-07 10:30:15 Europe/Paris}).
     */
    static java.time.Instant parseTime(String text) {
        String t = text.strip();
        try {
            return java.time.OffsetDateTime.parse(t).toInstant();
        } catch (java.time.format.DateTimeParseException notIso) {
            // the other form
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{4}-\\d{2}-\\d{2})[ T](\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?) +(\\S+)").matcher(t);
        if (m.matches()) {
            try {
                java.time.LocalDateTime local = java.time.LocalDateTime.parse(m.group(1) + "T" + (m.group(2).length() == 4 ? "0" : "") + m.group(2));
                return local.atZone(java.time.ZoneId.of(m.group(3))).toInstant();
            } catch (java.time.DateTimeException e) {
                // said below
            }
        }
        throw new IllegalArgumentException("cannot read the time '" + text + "': use e.g. '2026-12-07 09:30 UTC' or 2026-12-07T09:30:00Z");
    }
}
