package dev.grid.appliance.postgres;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An add-on's config (Heroku's names), and what it gains once its cluster's traffic leaves
 * machines: {@code sslmode=require} in both URLs and {@code PGSSLMODE} (encrypted, as Heroku
 * Postgres requires), and the cluster's CA as {@code DATABASE_CA_CERT}, for clients that
 * would check the server too ({@code sslmode=verify-ca}). On one machine the URLs stay
 * plaintext over loopback.
 */
final class PgEnv {
    static final String CA_CERT = "DATABASE_CA_CERT";

    private PgEnv() {}

    static Map<String, String> of(String role, String password, String host, int port) {
        return of(role, password, role, host, port);
    }

    /** The config of a login ({@code role}) to {@code database}: after a rotation, they differ. */
    static Map<String, String> of(String role, String password, String database, String host, int port) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DATABASE_URL", "postgres://" + role + ":" + password + "@" + host + ":" + port + "/" + database);
        env.put("JDBC_DATABASE_URL", "jdbc:postgresql://" + host + ":" + port + "/" + database + "?user=" + role + "&password=" + password);
        env.put("JDBC_DATABASE_USERNAME", role);
        env.put("JDBC_DATABASE_PASSWORD", password);
        env.put("PGHOST", host);
        env.put("PGPORT", String.valueOf(port));
        env.put("PGUSER", role);
        env.put("PGPASSWORD", password);
        env.put("PGDATABASE", database);
        return env;
    }

    /** {@code env} with TLS asked for, when {@code tls}; never takes it away again. */
    static Map<String, String> withTls(Map<String, String> env, boolean tls, String caPem) {
        if (!tls || caPem == null) return env;
        Map<String, String> out = new LinkedHashMap<>(env);
        out.computeIfPresent("DATABASE_URL", (k, url) -> requireSsl(url));
        out.computeIfPresent("JDBC_DATABASE_URL", (k, url) -> requireSsl(url));
        out.put("PGSSLMODE", "require");
        out.put(CA_CERT, caPem);
        return out;
    }

    private static String requireSsl(String url) {
        if (url.contains("sslmode=")) return url;
        return url + (url.contains("?") ? "&" : "?") + "sslmode=require";
    }
}
