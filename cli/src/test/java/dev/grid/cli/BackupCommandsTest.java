package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BackupCommandsTest {
    @Test
    void everyKindHasTheSameBackupCommandsAndEachActsOnTheKindItsNameSays() {
        CommandLine root = new CommandLine(new Grid());
        Map<BackupCommands.Kind, Set<String>> commands = new EnumMap<>(BackupCommands.Kind.class);
        root.getSubcommands().forEach((name, sub) -> {
            if (!name.contains(":backups")) return;
            BackupCommands.Kind kind = BackupCommands.Kind.of(name);
            assertEquals(name.substring(0, name.indexOf(':')), kind.prefix, name);
            commands.computeIfAbsent(kind, k -> new TreeSet<>()).add(name.substring(name.indexOf(':')));
        });
        Set<String> pg = commands.get(BackupCommands.Kind.PG);
        assertTrue(pg.contains(":backups:restore") && pg.size() == 7, pg.toString());
        for (BackupCommands.Kind kind : BackupCommands.Kind.values()) assertEquals(pg, commands.get(kind), kind.prefix + ": has every pg: backup command");
    }
}
