package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppNameTest {
    @TempDir
    Path dir;

    private Path checkout(String config) throws Exception {
        Path git = Files.createDirectories(dir.resolve("shop/.git"));
        Files.writeString(git.resolve("config"), config);
        return Files.createDirectories(dir.resolve("shop/src/main"));
    }

    @Test
    void theFlagComesFirstThenGridAppThenTheRemote() throws Exception {
        Path sub = checkout("[remote \"grid\"]\n\turl = ssh://git@127.0.0.1:2222/shop\n\tfetch = +refs/heads/*:refs/remotes/grid/*\n");
        assertEquals("given", AppName.resolve("given", "fromenv", sub));
        assertEquals("fromenv", AppName.resolve(null, "fromenv", sub));
        assertEquals("shop", AppName.resolve(null, null, sub), "from a directory below the checkout's top");
        assertEquals("shop", AppName.resolve(null, "  ", sub));
    }

    @Test
    void onlyTheRemoteNamedGridCounts() throws Exception {
        Path sub = checkout("""
                [core]
                \trepositoryformatversion = 0
                [remote "origin"]
                \turl = git@github.com:someone/blog.git
                [remote "gridx"]
                \turl = ssh://git@h:2222/other
                [branch "main"]
                \tremote = origin
                """);
        CliException e = assertThrows(CliException.class, () -> AppName.resolve(null, null, sub));
        assertTrue(e.getMessage().contains("Tried -a APP (not given), GRID_APP (not set) and the git remote grid (the checkout in "
                + dir.resolve("shop") + " has no git remote grid)"), e.getMessage());
        assertTrue(e.getMessage().contains("Pass -a APP, set GRID_APP"), e.getMessage());
    }

    @Test
    void gitsConfigSyntaxIsRead() throws Exception {
        Path config = Files.writeString(dir.resolve("config"), """
                # a comment
                [Remote "grid"] ; another
                    URL = "ssh://git@grid.example.com:2222/api-v2.git"  # quoted, with a comment
                [remote "grid2"] url = ssh://git@h:2222/nope
                """);
        assertEquals("ssh://git@grid.example.com:2222/api-v2.git", AppName.remoteUrl(config, "grid"));
        assertEquals("ssh://git@h:2222/nope", AppName.remoteUrl(config, "grid2"), "a section and an entry on one line");
        assertNull(AppName.remoteUrl(config, "origin"));
        assertNull(AppName.remoteUrl(dir.resolve("missing"), "grid"));
    }

    @Test
    void theAppIsTheUrlsLastPart() {
        assertEquals("shop", AppName.appOf("ssh://git@127.0.0.1:2222/shop"));
        assertEquals("shop", AppName.appOf("ssh://git@127.0.0.1:2222/shop.git/"));
        assertEquals("shop", AppName.appOf("git@host:shop"));
        assertNull(AppName.appOf("ssh://git@host:2222/Not_An_App"));
        assertNull(AppName.appOf("ssh://git@host:2222/"));
    }

    @Test
    void aWorktreeReadsItsMainCheckoutsConfig() throws Exception {
        checkout("[remote \"grid\"]\n\turl = ssh://git@h:2222/shop\n");
        Path wtGit = Files.createDirectories(dir.resolve("shop/.git/worktrees/feature"));
        Files.writeString(wtGit.resolve("commondir"), "../..\n");
        Path worktree = Files.createDirectories(dir.resolve("feature"));
        Files.writeString(worktree.resolve(".git"), "gitdir: " + wtGit + "\n");
        assertEquals("shop", AppName.resolve(null, null, worktree));
    }

    @Test
    void outsideAnyCheckoutTheErrorSaysSo() throws Exception {
        Path plain = Files.createDirectories(dir.resolve("plain"));
        assertNull(AppName.gitConfig(plain), "a temporary directory is in no checkout");
        CliException e = assertThrows(CliException.class, () -> AppName.resolve(null, null, plain));
        assertTrue(e.getMessage().contains("no git checkout in " + plain), e.getMessage());
    }

    @Test
    void aRenamedAppsRemoteNamesItsNewNameAndOnlyItsOwnRemoteChanges() {
        assertEquals("ssh://git@grid.example:2222/store.git", AppName.renamed("ssh://git@grid.example:2222/shop.git", "shop", "store"));
        assertEquals("git@grid.example:store", AppName.renamed("git@grid.example:shop", "shop", "store"));
        assertEquals("ssh://git@h/store.git/", AppName.renamed("ssh://git@h/shop.git/", "shop", "store"));
        assertNull(AppName.renamed("ssh://git@h/shopping.git", "shop", "store"), "another app's remote");
        assertNull(AppName.renamed(null, "shop", "store"));
    }
}
