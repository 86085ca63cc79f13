package dev.grid.builder;

import dev.grid.core.App;
import dev.grid.core.SshKey;
import dev.grid.store.Keys;
import dev.grid.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.git.GitLocationResolver;
import org.apache.sshd.git.pack.GitPackCommandFactory;
import org.apache.sshd.git.pack.GitPackConfiguration;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * `git push` over SSH. A key must have been added with `grid keys:add`; the
 * repository must be {@code APP.git} for an existing app (one bare repository per
 * app). A push to main or master is built and deployed inside the push, so its
 * output streams to the pusher and a failure rejects the push with the reason;
 * any other branch is refused. Grid's own apps ({@code grid-*}) take no push and no clone.
 * What arrives is checked object by object (malformed trees, duplicate entries, {@code .git}
 * and {@code ..} names are refused) and bounded in size; a refused push leaves nothing of
 * itself in the repository.
 */
public final class GitServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GitServer.class);
    private static final Pattern REPO = Pattern.compile("/?([a-z][a-z0-9-]{0,29})\\.git/?");

    private final Store store;
    private final Path repos;
    private final SlugBuilder builder;
    private final SshServer sshd;
    private final PushLocks pushes;

    public GitServer(Store store, Path home, String address, int port, SlugBuilder builder) throws IOException {
        this.store = store;
        this.repos = Files.createDirectories(home.resolve("repos"));
        this.builder = builder;
        // A build ends within its limit, and the release's wait is bounded too: a hold older than that is a dead session's.
        this.pushes = new PushLocks(builder.limits().timeout().plusMinutes(5));
        this.sshd = SshServer.setUpDefaultServer();
        sshd.setHost(address);
        sshd.setPort(port);
        sshd.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(home.resolve("ssh_host_key")));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setPublickeyAuthenticator((user, key, session) -> {
            String id = SshKey.parse(PublicKeyEntry.toString(key)).id();
            return store.get(Keys.sshKey(id)).isPresent();
        });
        GitPackCommandFactory git = new GitPackCommandFactory(resolver());
        // A refusal reaches the pusher as the reason, not as "could not read from remote repository".
        sshd.setCommandFactory((channel, command) -> {
            String problem = problem(command.contains(" ") ? command.substring(command.indexOf(' ') + 1).replace("'", "").strip() : "");
            return problem == null ? git.createCommand(channel, command) : new Refusal(problem);
        });
        git.withGitPackConfiguration(new GitPackConfiguration() {
            @Override
            public void configureReceivePack(ServerSession session, ReceivePack pack) {
                pack.setCheckReceivedObjects(true);
                pack.setObjectChecker(new ObjectChecker());
                pack.setCheckReferencedObjectsAreReachable(true);
                pack.setMaxPackSizeLimit(builder.limits().pushBytes());
                pack.setPreReceiveHook(GitServer.this::preReceive);
                pack.setPostReceiveHook((rp, commands) -> {
                    try {
                        pruneIfRefused(rp);
                    } finally {
                        pushes.release(appOf(rp.getRepository()), rp); // the branch is updated (or not): the next push may go
                    }
                });
            }
        });
    }

    /** What is wrong with pushing to or cloning {@code path}, or null if it is an app's repository. */
    private String problem(String path) {
        Matcher m = REPO.matcher(path);
        if (!m.matches()) return "no such repository: push to APP.git, e.g. ssh://git@HOST:PORT/myapp.git";
        String app = m.group(1);
        if (App.isSystem(app)) return app + " is one of Grid's own apps: it takes no push and no clone";
        if (store.get(Keys.app(app)).isEmpty()) return "no app named '" + app + "': create it with 'grid apps:create " + app + "'";
        return null;
    }

    /** A command that only says why it was refused, on the client's stderr, and fails. */
    private static final class Refusal implements org.apache.sshd.server.command.Command {
        private final String reason;
        private java.io.OutputStream err;
        private org.apache.sshd.server.ExitCallback exit;

        Refusal(String reason) {
            this.reason = reason;
        }

        @Override public void setInputStream(java.io.InputStream in) {}
        @Override public void setOutputStream(java.io.OutputStream out) {}
        @Override public void setErrorStream(java.io.OutputStream err) { this.err = err; }
        @Override public void setExitCallback(org.apache.sshd.server.ExitCallback exit) { this.exit = exit; }
        @Override public void destroy(org.apache.sshd.server.channel.ChannelSession channel) {}

        @Override
        public void start(org.apache.sshd.server.channel.ChannelSession channel, org.apache.sshd.server.Environment env) throws IOException {
            err.write(("grid: " + reason + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            err.flush();
            exit.onExit(1, reason);
        }
    }

    public GitServer start() throws IOException {
        sshd.start();
        log.info("git push over SSH on {}:{}", sshd.getHost(), sshd.getPort());
        return this;
    }

    public int port() {
        return sshd.getPort();
    }

    /**
     * Only "APP.git" of an existing app resolves (never a path outside the repository root); its
     * bare repository is made on first push. Each app's repository lives under its UID
     * ({@code repos/uUID/APP.git}), which no other app is ever given: a renamed app keeps its
     * repository (moved to its new name on its next push), and a new app that takes a destroyed
     * or renamed app's name starts from an empty one, never from the other's history.
     */
    private GitLocationResolver resolver() {
        return (command, args, session, fs) -> {
            String problem = args.length == 2 ? problem(args[1]) : "no such repository";
            if (problem != null) throw new IOException(problem); // checked before already: this is the last line
            Matcher m = REPO.matcher(args[1]);
            m.matches();
            String app = m.group(1);
            Integer uid = store.get(dev.grid.store.Keys.app(app), dev.grid.core.App.class).map(dev.grid.core.App::uid).orElse(null);
            if (uid == null) throw new IOException("no such repository: " + app + " takes no push");
            Path root = repos.resolve("u" + uid);
            Path repo = root.resolve(app + ".git");
            if (!Files.exists(repo)) {
                Files.createDirectories(root);
                Path earlier = earlierRepository(root, app);
                if (earlier != null) {
                    Files.move(earlier, repo);
                    log.info("the repository of {} moved to its name now, from {}", app, earlier);
                } else {
                    try (Git ignored = Git.init().setBare(true).setDirectory(repo.toFile()).setInitialBranch("main").call()) {
                        log.info("created repository for {}", app);
                    } catch (Exception e) {
                        throw new IOException("cannot create the repository for " + app + ": " + e.getMessage(), e);
                    }
                }
            }
            return root;
        };
    }

    /**
     * The app's repository under another name: the one its UID's directory holds (it was renamed),
     * or {@code repos/APP.git}, where Grid kept repositories before they were kept per UID.
     */
    private Path earlierRepository(Path root, String app) throws IOException {
        try (var inRoot = Files.list(root)) {
            java.util.List<Path> found = inRoot.filter(p -> p.getFileName().toString().endsWith(".git") && Files.isDirectory(p)).toList();
            if (found.size() == 1) return found.get(0);
        }
        Path legacy = repos.resolve(app + ".git");
        return Files.isDirectory(legacy, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? legacy : null;
    }

    /**
     * Objects of a push that deployed nothing are unreachable: they go at once, so what a refused
     * push sent is not kept (nor counted against the disk) until some later collection.
     */
    private void pruneIfRefused(ReceivePack pack) {
        boolean refused = pack.getAllCommands().stream().anyMatch(c -> c.getResult() != ReceiveCommand.Result.OK);
        if (!refused) return;
        try {
            // Packs younger than an hour are kept by default: a refused push's pack is seconds old.
            var gc = new org.eclipse.jgit.internal.storage.file.GC((org.eclipse.jgit.internal.storage.file.FileRepository) pack.getRepository());
            java.util.Date soon = new java.util.Date(System.currentTimeMillis() + 1000);
            gc.setExpire(soon);
            gc.setPackExpire(soon);
            gc.gc().get();
        } catch (Exception e) {
            log.warn("cannot prune the refused push to {}: {}", pack.getRepository().getDirectory(), e.toString());
        }
    }

    private static String appOf(Repository repo) {
        return repo.getDirectory().getName().replaceFirst("\\.git$", "");
    }

    private void preReceive(ReceivePack pack, Collection<ReceiveCommand> commands) {
        Repository repo = pack.getRepository();
        String app = appOf(repo);
        // One push of an app at a time, from its build to the branch's update (released after it, in the post-receive hook).
        try {
            pushes.acquire(app, pack, () -> pack.sendMessage("-----> another push to " + app + " is being built and deployed: waiting for it to finish"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            for (ReceiveCommand cmd : commands) cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "Grid is stopping; push again");
            return;
        }
        for (ReceiveCommand cmd : commands) {
            String ref = cmd.getRefName();
            if (!ref.equals("refs/heads/main") && !ref.equals("refs/heads/master")) {
                cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON,
                        "only main or master deploys; push with 'git push grid HEAD:main' (you pushed " + ref.replaceFirst("^refs/heads/", "") + ")");
                continue;
            }
            if (cmd.getType() == ReceiveCommand.Type.DELETE) {
                cmd.setResult(ReceiveCommand.Result.REJECTED_NODELETE, "the deployed branch cannot be deleted");
                continue;
            }
            // A push that waited for another finds the branch moved: it is refused before anything is built.
            try {
                org.eclipse.jgit.lib.Ref now = repo.exactRef(ref);
                org.eclipse.jgit.lib.ObjectId at = now == null ? org.eclipse.jgit.lib.ObjectId.zeroId() : now.getObjectId();
                if (!at.equals(cmd.getOldId())) {
                    String why = ref.replaceFirst("^refs/heads/", "") + " moved on while this push waited (another push deployed "
                            + at.abbreviate(7).name() + "): pull it, then push again";
                    pack.sendMessage(" !     " + why);
                    cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, why);
                    continue;
                }
            } catch (IOException e) {
                cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "internal error: " + e.getMessage());
                continue;
            }
            try {
                builder.build(app, repo, cmd.getNewId(), line -> pack.sendMessage(line));
            } catch (BuildFailure e) {
                pack.sendMessage(" !     " + e.getMessage());
                cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, e.getMessage());
            } catch (IOException | RuntimeException e) {
                log.warn("build of {} failed", app, e);
                cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "internal error: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }
}
