package dev.grid.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The real git client (and other commands) against one test Grid's git server: a work
 * directory, an SSH key that Grid knows, repositories made from files, pushes.
 */
final class TestGit {
    record Result(int exit, String output) {}

    final Path work;
    final Path key;
    private final TestCluster grid;

    /** A work directory and a new key, added to the Grid with the real CLI; the Grid's git server must run. */
    TestGit(TestCluster grid) throws IOException, InterruptedException {
        this.grid = grid;
        this.work = Files.createTempDirectory("grid-git");
        this.key = work.resolve("id_ed25519");
        Result made = run(work, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pusher@test", "-f", key.toString());
        if (made.exit() != 0) throw new IllegalStateException(made.output());
        var added = grid.api.cli("keys:add", key + ".pub");
        if (added.exitCode() != 0) throw new IllegalStateException(added.err());
    }

    /** Runs a command in {@code dir} with this key for git over SSH and a committer set; its exit code and output. */
    Result run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_SSH_COMMAND", "ssh -i " + key + " -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR");
        pb.environment().putAll(Map.of("GIT_AUTHOR_NAME", "t", "GIT_AUTHOR_EMAIL", "t@t", "GIT_COMMITTER_NAME", "t", "GIT_COMMITTER_EMAIL", "t@t"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        return run(dir, command.toArray(String[]::new));
    }

    /** A git repository with these files, committed on main. */
    Path repo(String name, Map<String, String> files) throws Exception {
        Path dir = Files.createDirectories(work.resolve("src-" + name));
        for (var f : files.entrySet()) {
            Files.createDirectories(dir.resolve(f.getKey()).getParent());
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
        }
        run(dir, "git", "init", "-q", "-b", "main");
        run(dir, "git", "add", "-A");
        run(dir, "git", "commit", "-q", "--allow-empty", "-m", "app");
        return dir;
    }

    String url(String app) {
        return "ssh://git@127.0.0.1:" + grid.git.port() + "/" + app + ".git";
    }

    Result push(Path dir, String app, String refspec) throws Exception {
        return run(dir, "git", "push", url(app), refspec);
    }

    Result push(Path dir, String app) throws Exception {
        return push(dir, app, "main");
    }

    Result commitAndPush(Path dir, String app, String file, String content) throws Exception {
        Files.writeString(dir.resolve(file), content);
        run(dir, "git", "commit", "-q", "-am", "change");
        return push(dir, app, "main");
    }
}
