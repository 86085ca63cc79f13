package dev.grid.appliance.mariadb;

import static dev.grid.appliance.mariadb.MariaDbDatastore.literal;
import static dev.grid.appliance.mariadb.MariaDbProvider.ident;

import dev.grid.appliance.Command;
import dev.grid.appliance.Provider;
import dev.grid.appliance.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Backups are {@code mariadb-dump} files of an add-on's database: its tables and rows, read from the
 * primary in one transaction while apps write on. A restore loads the file into a scratch database as
 * a user allowed that one alone, through the client in sandbox mode as {@code nobody} (the file is
 * untrusted: no shell escape, no local file, no other database), then swaps every table in one
 * {@code RENAME TABLE}, which MariaDB makes whole or not at all. Views, triggers, routines and
 * events are not carried: a database or a file with them is refused, and nothing changes.
 */
final class MariaDbBackups implements Provider.Backups {
    private static final Duration TOOL_TIMEOUT = Duration.ofHours(1);
    private final MariaDbProvider provider;

    MariaDbBackups(MariaDbProvider provider) {
        this.provider = provider;
    }

    @Override
    public String fileFormat() {
        return "a mariadb-dump file of one database (SQL)";
    }

    @Override
    public void dump(Provider.Resource r, Path to) throws Exception {
        String db = r.internal().get("database");
        tablesOnly(db, db + " is not backed up: it");
        List<String> dump = new ArrayList<>(List.of("mariadb-dump", "--single-transaction", "--skip-triggers", "--no-tablespaces", "--result-file=" + to));
        dump.addAll(provider.at(null, MariaDbDatastore.KEEPER));
        dump.add(db);
        Command.run(dump, Map.of("MYSQL_PWD", provider.keeperPassword()), TOOL_TIMEOUT);
    }

    @Override
    public void restore(Provider.Resource r, Path from) throws Exception {
        String head;
        try (var lines = Files.lines(from)) {
            head = String.join("\n", lines.limit(3).toList());
        } catch (java.io.UncheckedIOException notText) {
            head = "";
        }
        if (!head.contains("-- MariaDB dump") && !head.contains("-- MySQL dump")) {
            throw new IllegalArgumentException("the file is not a mariadb-dump file (its first lines say neither '-- MariaDB dump' nor '-- MySQL dump'), so nothing was restored");
        }
        String db = r.internal().get("database");
        String scratch = "grid$restore_" + db;
        String old = "grid$old_" + db;
        String user = MariaDbProvider.user(scratch);
        String password = Secrets.token(32);
        provider.sql(drop(scratch, old, user) + "CREATE DATABASE " + ident(scratch) + "; CREATE USER " + user + " IDENTIFIED BY " + literal(password)
                + "; GRANT ALL ON " + ident(scratch) + ".* TO " + user);
        try {
            List<String> load = new ArrayList<>(Command.asNobody());
            load.addAll(List.of("mariadb", "--sandbox", "--local-infile=0", "--skip-print-query-on-error"));
            load.addAll(provider.at(null, scratch));
            load.add(scratch);
            try {
                Command.run(load, Map.of("MYSQL_PWD", password), from, TOOL_TIMEOUT);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("the file did not load, so nothing was restored (" + e.getMessage().lines().reduce((a, b) -> b).orElse("") + ")");
            }
            tablesOnly(db, "nothing was restored: " + db);
            tablesOnly(scratch, "nothing was restored: the file");
            List<String> renames = new ArrayList<>();
            for (String t : tables(db)) renames.add(ident(db) + "." + ident(t) + " TO " + ident(old) + "." + ident(t));
            for (String t : tables(scratch)) renames.add(ident(scratch) + "." + ident(t) + " TO " + ident(db) + "." + ident(t));
            // An app's open transaction holds its tables' metadata locks: the swap waits 30 s for them, then fails whole, rather than hang.
            provider.sql("SET SESSION lock_wait_timeout = 30; CREATE DATABASE " + ident(old) + (renames.isEmpty() ? "" : "; RENAME TABLE " + String.join(", ", renames)));
        } finally {
            provider.sql(drop(scratch, old, user));
        }
    }

    private static String drop(String scratch, String old, String user) {
        return "DROP DATABASE IF EXISTS " + ident(scratch) + "; DROP DATABASE IF EXISTS " + ident(old) + "; DROP USER IF EXISTS " + user + "; ";
    }

    private List<String> tables(String db) throws Exception {
        return provider.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = " + literal(db) + " AND table_type <> 'VIEW'").lines().toList();
    }

    /** Refuses a database with what backups do not carry; {@code said} begins the error. */
    private void tablesOnly(String db, String said) throws Exception {
        String others = provider.sql("SELECT (SELECT count(*) FROM information_schema.views WHERE table_schema = " + literal(db)
                + ") + (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = " + literal(db)
                + ") + (SELECT count(*) FROM information_schema.routines WHERE routine_schema = " + literal(db)
                + ") + (SELECT count(*) FROM information_schema.events WHERE event_schema = " + literal(db) + ")");
        if (!"0".equals(others)) throw new IllegalArgumentException(said + " has " + others + " views, triggers, routines or events; MariaDB backups carry tables and rows alone");
    }
}
