package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BackupCommandsTest {
    @Test
    void everyKindHasTheSameBackupCommandsAndEachActsOnTheKindItsNameSays() {
        CommandLine root = new CommandLine(new Grid());
        Set<String> pg = new TreeSet<>(), redis = new TreeSet<>();
        root.getSubcommands().forEach((name, sub) -> {
            if (!name.contains(":backups")) return;
            BackupCommands.Kind kind = BackupCommands.Kind.of(name);
            assertEquals(name.substring(0, name.indexOf(':')), kind.prefix, name);
            (kind == BackupCommands.Kind.REDIS ? redis : pg).add(name.substring(name.indexOf(':')));
        });
        assertTrue(pg.contains(":backups:restore") && pg.size() == 7, pg.toString());
        assertEquals(pg, redis, "redis: has every pg: backup command");
    }
}
