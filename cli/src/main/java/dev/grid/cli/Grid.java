package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code grid}: Heroku's command vocabulary over Grid's controller API. */
@Command(name = "grid", mixinStandardHelpOptions = true, version = "grid 0.1.0",
        description = "Grid: a self-hosted, datastore-appliance-first PaaS.",
        subcommands = {Grid.Completion.class, Lifecycle.Up.class, Lifecycle.Down.class, Lifecycle.Restart.class, Lifecycle.Status.class,
                Grid.Apps.class, Grid.AppsCreate.class, Grid.AppsRename.class, Grid.AppsInfo.class, Grid.AppsDestroy.class,
                Grid.Deploy.class, Grid.Releases.class, Grid.Ps.class, Grid.Restart.class, Grid.Stop.class, Grid.Maintenance.class, Grid.MaintenanceOn.class, Grid.MaintenanceOff.class, Grid.Scale.class, Grid.Resize.class, Grid.Run.class, Grid.RunDetached.class, Grid.Logs.class,
                HostsCommands.List.class, HostsCommands.Remove.class, MetricsCommands.Token.class,
                DrainsCommands.List.class, DrainsCommands.Add.class, DrainsCommands.Remove.class,
                RoutesCommands.List.class, RoutesCommands.Add.class, RoutesCommands.Timeout.class, RoutesCommands.Remove.class,
                RoutesCommands.Certs.class, RoutesCommands.CertsAdd.class, RoutesCommands.CertsRemove.class,
                ConfigCommands.Show.class, ConfigCommands.Get.class, ConfigCommands.Set.class, ConfigCommands.Unset.class,
                ConfigCommands.Info.class, ConfigCommands.Rollback.class,
                KeysCommands.List.class, KeysCommands.Add.class, KeysCommands.Remove.class,
                AddonsCommands.List.class, AddonsCommands.Services.class, AddonsCommands.Create.class, AddonsCommands.Info.class,
                AddonsCommands.Attach.class, AddonsCommands.Detach.class, AddonsCommands.Destroy.class,
                AddonsCommands.Expose.class, AddonsCommands.Unexpose.class,
                PgCommands.Info.class, PgCommands.Psql.class,
                BackupCommands.PgList.class, BackupCommands.PgCapture.class, BackupCommands.PgRestore.class, BackupCommands.PgDownload.class,
                BackupCommands.PgSchedule.class, BackupCommands.PgUnschedule.class, BackupCommands.PgSchedules.class, PgCommands.Ps.class, PgCommands.Locks.class, PgCommands.Kill.class, PgCommands.Rotate.class,
                RedisCommands.Info.class, RedisCommands.Cli.class, MariaDbCommands.Info.class, MariaDbCommands.Cli.class,
                BackupCommands.RedisList.class, BackupCommands.RedisCapture.class, BackupCommands.RedisRestore.class, BackupCommands.RedisDownload.class,
                BackupCommands.RedisSchedule.class, BackupCommands.RedisUnschedule.class, BackupCommands.RedisSchedules.class,
                BackupCommands.MariaDbList.class, BackupCommands.MariaDbCapture.class, BackupCommands.MariaDbRestore.class, BackupCommands.MariaDbDownload.class,
                BackupCommands.MariaDbSchedule.class, BackupCommands.MariaDbUnschedule.class, BackupCommands.MariaDbSchedules.class,
                RedisCommands.Maxmemory.class, RedisCommands.Timeout.class, RedisCommands.KeyspaceNotifications.class})
public final class Grid implements Callable<Integer> {
    private Api api;
    /** Where the command runs: the checkout whose git remote names the app, and where apps:create adds it. */
    private java.nio.file.Path workDir = java.nio.file.Path.of("").toAbsolutePath();

    @Spec
    CommandLine.Model.CommandSpec spec;

    public Grid() {}

    /** Where grid run reads and writes (null: this process's own streams). */
    private Terminal terminal;

    /** GRID_APP, as the command's environment has it. */
    private String appEnv = System.getenv("GRID_APP");

    /** A CLI bound to {@code api} that runs as a client's command would: in its directory, with its GRID_APP ({@link CliDaemon}). */
    static Grid forClient(Api api, java.nio.file.Path workDir, String appEnv) {
        Grid g = new Grid();
        g.api = api;
        g.workDir = workDir.toAbsolutePath();
        g.appEnv = appEnv;
        return g;
    }

    /** A CLI bound to one controller (tests, scripts). */
    public static Grid forApi(String url, String token) {
        Grid g = new Grid();
        g.api = new Api(url, token);
        return g;
    }

    /** A CLI bound to one controller that runs as if in {@code workDir} (tests: never in the repository's own checkout). */
    public static Grid forApi(String url, String token, java.nio.file.Path workDir) {
        Grid g = forApi(url, token);
        g.workDir = workDir.toAbsolutePath();
        return g;
    }

    /** grid run reads {@code stdin} and writes into the command line's writers, with no terminal (tests). */
    public Grid withStdin(java.io.InputStream stdin, java.io.Writer out, java.io.Writer err) {
        terminal = Terminal.pipes(stdin, out, err);
        return this;
    }

    Api api() {
        if (api == null) api = Api.fromEnvironment();
        return api;
    }

    /** Where the command runs (a file it names without a directory goes here). */
    java.nio.file.Path workDir() {
        return workDir;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    public static CommandLine commandLine(Grid grid) {
        CommandLine cl = new CommandLine(grid);
        cl.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) return help;
            List<CommandLine> chain = parsed.asCommandLineList();
            CommandLine last = chain.get(chain.size() - 1);
            if (last.getCommand() instanceof AboutAnApp about) {
                try {
                    about.resolveApp(grid.appEnv, grid.workDir);
                } catch (CliException e) {
                    last.getErr().println(" !    " + e.getMessage());
                    last.getErr().flush();
                    return 1;
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException) {
                cmd.getErr().println(" !    " + e.getMessage());
                cmd.getErr().flush();
                return 1;
            }
            throw e;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Grid()).execute(args));
    }

    /** Shared by every subcommand: the API, output, and --json. */
    @Command
    abstract static class Base implements Callable<Integer> {
        @CommandLine.ParentCommand
        Grid grid;

        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        Api api() {
            return grid.api();
        }

        void json(JsonNode n) throws Exception {
            out().println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            out().flush();
        }
    }

    @Command
    abstract static class AppCommand extends Base implements AboutAnApp {
        @Option(names = {"-a", "--app"}, description = "the app (default: GRID_APP, else the git remote grid of this checkout)")
        String app;

        @Override
        public void resolveApp(String env, java.nio.file.Path dir) {
            app = AppName.resolve(app, env, dir);
        }
    }

    /** Which of the app's add-ons of a kind a command is about, when it has several: {@link PgCommands#attached}. */
    static final class AddonChoice {
        @Option(names = "--addon", paramLabel = "NAME", description = "the add-on, by its name or its attachment's (--as), when the app has several of this kind")
        String name;
    }

    /** A command about one of the app's add-ons. */
    abstract static class AddonCommand extends AppCommand {
        @CommandLine.Mixin
        AddonChoice choice = new AddonChoice();
    }

    /** A read of one of the app's add-ons. */
    abstract static class AddonRead extends AppRead {
        @CommandLine.Mixin
        AddonChoice choice = new AddonChoice();
    }

    /** A command about one app, named by -a or found as {@link AppName} says, before it runs. */
    interface AboutAnApp {
        void resolveApp(String env, java.nio.file.Path dir);
    }

    /** A read command: fetches JSON from the API, then prints it as is (--json) or for people. */
    @Command
    abstract static class Read extends Base {
        @Option(names = "--json", description = "print the API's JSON")
        boolean asJson;

        abstract JsonNode fetch();

        abstract void render(JsonNode data) throws Exception;

        @Override
        public Integer call() throws Exception {
            JsonNode data = fetch();
            if (asJson) json(data);
            else render(data);
            out().flush();
            return 0;
        }
    }

    /** A read command about one app. */
    @Command
    abstract static class AppRead extends Read implements AboutAnApp {
        @Option(names = {"-a", "--app"}, description = "the app (default: GRID_APP, else the git remote grid of this checkout)")
        String app;

        @Override
        public void resolveApp(String env, java.nio.file.Path dir) {
            app = AppName.resolve(app, env, dir);
        }
    }

    @Command(name = "completion", description = "Print a bash (or zsh) completion script for grid: source <(grid completion)")
    static final class Completion implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        public Integer call() {
            CommandLine root = spec.root().commandLine();
            PrintWriter out = spec.commandLine().getOut();
            out.print(picocli.AutoComplete.bash(root.getCommandName(), root));
            // Commands are named topic:command, as Heroku's are; bash splits words at ':' unless told not to.
            out.println("COMP_WORDBREAKS=${COMP_WORDBREAKS//:}");
            out.flush();
            return 0;
        }
    }

    @Command(name = "apps", description = "List apps.")
    static final class Apps extends Read {
        @Override
        JsonNode fetch() {
            return api().get("/apps");
        }

        @Override
        void render(JsonNode apps) throws Exception {
            out().println("=== Apps");
            for (JsonNode a : apps) out().println(a.path("name").asText());
            out().flush();
        }
    }

    @Command(name = "apps:create", description = "Create an app.")
    static final class AppsCreate extends Base {
        @Parameters(paramLabel = "NAME") String name;

        public Integer call() throws Exception {
            JsonNode app = api().post("/apps", Api.map("name", name));
            out().println("Creating " + name + "... done");
            out().println(app.path("webUrl").asText() + (app.path("gitUrl").isTextual() ? " | " + app.path("gitUrl").asText() : ""));
            // As heroku create does: inside a git repository, add a remote named grid.
            if (app.path("gitUrl").isTextual() && new ProcessBuilder("git", "rev-parse", "--git-dir").directory(grid.workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0) {
                Process add = new ProcessBuilder("git", "remote", "add", "grid", app.path("gitUrl").asText()).directory(grid.workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                out().println(add.waitFor() == 0 ? "Git remote grid added" : "Git remote grid exists already: not changed");
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "apps:rename", description = "Rename an app: its routes, add-ons, drains and git repository follow, and its processes restart "
            + "under the new name. In the app's checkout, the git remote grid is changed to the new name.")
    static final class AppsRename extends Base {
        @Parameters(index = "0", paramLabel = "OLD") String from;
        @Parameters(index = "1", paramLabel = "NEW") String to;

        public Integer call() throws Exception {
            JsonNode app = api().post("/apps/" + from + "/rename", Api.map("name", to));
            out().println("Renaming " + from + " to " + to + "... done");
            out().println(app.path("webUrl").asText() + (app.path("gitUrl").isTextual() ? " | " + app.path("gitUrl").asText() : ""));
            // As heroku apps:rename does: the checkout's remote follows.
            java.nio.file.Path config = AppName.gitConfig(grid.workDir);
            String url = config == null ? null : AppName.remoteUrl(config, AppName.REMOTE);
            String renamed = AppName.renamed(url, from, to);
            if (renamed != null) {
                Process set = new ProcessBuilder("git", "remote", "set-url", AppName.REMOTE, renamed).directory(grid.workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                out().println(set.waitFor() == 0 ? "Git remote " + AppName.REMOTE + " updated: " + renamed
                        : "Git remote " + AppName.REMOTE + " not updated: run git remote set-url " + AppName.REMOTE + " " + renamed);
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "apps:info", description = "Show an app: its release, formation and jobs.")
    static final class AppsInfo extends AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app);
        }

        @Override
        void render(JsonNode info) throws Exception {
            JsonNode r = info.path("release");
            out().println("=== " + app);
            out().println("Web URL:   " + info.path("webUrl").asText());
            if (info.path("gitUrl").isTextual()) out().println("Git URL:   " + info.path("gitUrl").asText());
            StringBuilder addons = new StringBuilder();
            for (JsonNode a : info.path("addons")) {
                addons.append(addons.length() > 0 ? ", " : "").append(a.path("name").asText()).append(" (").append(a.path("provider").asText())
                        .append(a.path("plan").asText().isEmpty() ? "" : ":" + a.path("plan").asText()).append(')');
            }
            out().println("Add-ons:   " + (addons.length() == 0 ? "(none)" : addons));
            out().println("Stack:     " + info.path("stack").asText());
            if (info.path("maintenance").asBoolean()) out().println("Maintenance: on (the router answers 503 with a page)");
            out().println("Release:   " + (r.isNull() ? "(none)" : "v" + r.path("version").asText() + " " + r.path("image").asText()));
            StringBuilder dynos = new StringBuilder();
            info.path("formation").path("processes").fields().forEachRemaining(e ->
                    dynos.append(dynos.length() > 0 ? ", " : "").append(e.getKey()).append('=').append(e.getValue().asInt()));
            out().println("Formation: " + (dynos.length() == 0 ? "(none)" : dynos));
            out().println("Jobs:      " + info.path("jobs").size());
            out().flush();
        }
    }

    @Command(name = "apps:destroy", description = "Destroy an app and stop its jobs.")
    static final class AppsDestroy extends Base {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--confirm", description = "the app's name again") String confirm;

        public Integer call() {
            if (!name.equals(confirm)) {
                throw new CliException("this destroys " + name + " and stops its jobs; to proceed, run: grid apps:destroy " + name + " --confirm " + name);
            }
            api().delete("/apps/" + name);
            out().println("Destroying " + name + "... done");
            out().flush();
            return 0;
        }
    }

    @Command(name = "deploy", description = "Create a release from a local image and deploy it.")
    static final class Deploy extends AppCommand {
        @Option(names = "--image", required = true) String image;
        @Option(names = "--process", paramLabel = "TYPE=COMMAND", description = "a process type and its command (repeatable)") List<String> processes = List.of();
        @Option(names = "--env", paramLabel = "KEY=VALUE", description = "a config var (repeatable)") List<String> env = List.of();

        public Integer call() {
            Map<String, Object> procs = new LinkedHashMap<>();
            for (String p : processes) {
                String[] kv = pair(p, "--process", "TYPE=COMMAND");
                procs.put(kv[0], Api.map("command", kv[1]));
            }
            Map<String, String> vars = new LinkedHashMap<>();
            for (String e : env) {
                String[] kv = pair(e, "--env", "KEY=VALUE");
                vars.put(kv[0], kv[1]);
            }
            JsonNode r = api().post("/apps/" + app + "/releases", Api.map("image", image, "processes", procs, "env", vars));
            out().println("Deploying " + image + " to " + app + "... done, v" + r.path("version").asText());
            out().flush();
            return 0;
        }
    }

    static String[] pair(String s, String option, String shape) {
        int eq = s.indexOf('=');
        if (eq <= 0) throw new CliException("invalid " + option + " '" + s + "': use " + shape);
        return new String[] {s.substring(0, eq), s.substring(eq + 1)};
    }

    /** TYPE=N arguments, in their order; {@code invalid} (with the argument) when N is not a whole number. */
    static Map<String, Long> numbers(List<String> args, String option, String shape, String invalid) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String a : args) {
            String[] kv = pair(a, option, shape);
            try {
                out.put(kv[0], Long.parseLong(kv[1]));
            } catch (NumberFormatException e) {
                throw new CliException(String.format(invalid, a));
            }
        }
        return out;
    }

    @Command(name = "releases", description = "List an app's releases, newest first.")
    static final class Releases extends AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app + "/releases");
        }

        @Override
        void render(JsonNode rs) throws Exception {
            Table t = new Table("VERSION", "DESCRIPTION", "IMAGE", "PROCESSES", "CREATED");
            for (JsonNode r : rs) {
                StringBuilder types = new StringBuilder();
                r.path("processes").fieldNames().forEachRemaining(n -> types.append(types.length() > 0 ? "," : "").append(n));
                t.row("v" + r.path("version").asText(), r.path("description").asText(""), r.path("image").isTextual() ? r.path("image").asText() : "", types, r.path("createdAt").asText());
            }
            t.print(out());
        }
    }

    @Command(name = "ps", description = "List an app's jobs and their state.")
    static final class Ps extends AppRead {
        @Override
        JsonNode fetch() {
            return api().get("/apps/" + app + "/jobs");
        }

        @Override
        void render(JsonNode jobs) throws Exception {
            Table t = new Table("TYPE", "JOB", "STATE", "HOST", "PORT", "SIZE", "RESTARTS", "RELEASE", "NOTE");
            for (JsonNode j : jobs) {
                t.row(j.path("type").asText(), j.path("id").asText(), j.path("state").asText(), j.path("hostId").asText(),
                        j.path("port").asInt() == 0 ? "" : j.path("port").asText(),
                        j.path("memoryMb").asLong() == 0 ? "" : String.format(java.util.Locale.ROOT, "%,d MB", j.path("memoryMb").asLong()),
                        j.path("restarts").asInt(),
                        j.path("releaseId").asText(), j.path("message").isNull() ? "" : j.path("message").asText());
            }
            t.print(out());
        }
    }

    @Command(name = "ps:restart", description = "Restart the app's jobs (of one type, or one job) without downtime: each stops once its replacement is up.")
    static final class Restart extends AppCommand {
        @Parameters(paramLabel = "TYPE|JOB", arity = "0..1", description = "a process type or a job (default: every job)") String ps;

        public Integer call() {
            JsonNode restarted = api().post("/apps/" + app + "/ps/restart", Api.map("ps", ps));
            out().println("Restarting " + String.join(", ", Api.JSON.convertValue(restarted, String[].class)) + " on " + app
                    + "... each stops once its replacement is up (grid ps -a " + app + " shows them)");
            out().flush();
            return 0;
        }
    }

    @Command(name = "ps:stop", description = "Stop a job (or every job of a type) now; the scheduler starts a replacement.")
    static final class Stop extends AppCommand {
        @Parameters(paramLabel = "TYPE|JOB", description = "a process type or a job") String ps;

        public Integer call() {
            JsonNode stopped = api().post("/apps/" + app + "/ps/stop", Api.map("ps", ps));
            out().println("Stopping " + String.join(", ", Api.JSON.convertValue(stopped, String[].class)) + " on " + app + "... a replacement starts");
            out().flush();
            return 0;
        }
    }

    @Command(name = "maintenance", description = "Say whether the app is in maintenance mode.")
    static final class Maintenance extends AppCommand {
        public Integer call() {
            out().println(api().get("/apps/" + app).path("maintenance").asBoolean() ? "on" : "off");
            out().flush();
            return 0;
        }
    }

    /** maintenance:on and maintenance:off. */
    abstract static class MaintenanceSwitch extends AppCommand {
        abstract boolean on();

        public Integer call() {
            api().send("PUT", "/apps/" + app + "/maintenance", Api.map("enabled", on()));
            out().println((on() ? "Enabling" : "Disabling") + " maintenance mode for " + app + "... done");
            out().flush();
            return 0;
        }
    }

    @Command(name = "maintenance:on", description = "Put the app in maintenance mode: the router answers its requests 503 with a page.")
    static final class MaintenanceOn extends MaintenanceSwitch {
        boolean on() {
            return true;
        }
    }

    @Command(name = "maintenance:off", description = "Take the app out of maintenance mode.")
    static final class MaintenanceOff extends MaintenanceSwitch {
        boolean on() {
            return false;
        }
    }

    @Command(name = "ps:scale", description = "Scale process types, e.g. web=3 worker=1.")
    static final class Scale extends AppCommand {
        @Parameters(paramLabel = "TYPE=N", arity = "1..*") List<String> counts;

        public Integer call() {
            Map<String, Integer> wanted = new LinkedHashMap<>();
            numbers(counts, "scale", "TYPE=N, e.g. web=3", "invalid count in '%s': use a whole number, e.g. web=3").forEach((type, n) -> {
                if (n != n.intValue()) throw new CliException("cannot scale " + type + " to " + n + ": too large a count");
                wanted.put(type, n.intValue());
            });
            JsonNode f = api().patch("/apps/" + app + "/formation", Api.map("processes", wanted));
            StringBuilder now = new StringBuilder();
            f.path("processes").fields().forEachRemaining(e -> now.append(now.length() > 0 ? ", " : "").append(e.getKey()).append('=').append(e.getValue().asInt()));
            out().println("Scaling " + app + "... done, now " + now);
            // The hosts cannot take all of it: said at once, as `grid ps` will go on saying (unplaced).
            for (JsonNode w : f.path("warnings")) err().println(" !    " + w.asText());
            out().flush();
            err().flush();
            return 0;
        }
    }

    @Command(name = "ps:resize", description = "Set process types' memory in MB (reserved on a host and the limit), e.g. web=512; restarts their jobs.")
    static final class Resize extends AppCommand {
        @Parameters(paramLabel = "TYPE=MB", arity = "1..*") List<String> sizes;

        public Integer call() {
            Map<String, Long> wanted = numbers(sizes, "resize", "TYPE=MB, e.g. web=512", "invalid size in '%s': give megabytes as a whole number, e.g. web=512");
            JsonNode r = api().post("/apps/" + app + "/formation/sizes", Api.map("processes", wanted));
            StringBuilder now = new StringBuilder();
            r.path("sizes").fields().forEachRemaining(e -> now.append(now.length() > 0 ? ", " : "")
                    .append(e.getKey()).append('=').append(String.format(java.util.Locale.ROOT, "%,d MB", e.getValue().asLong())));
            out().println("Resizing " + app + "... done, v" + r.path("version").asInt() + ": " + now);
            for (JsonNode w : r.path("warnings")) err().println(" !    " + w.asText());
            out().flush();
            err().flush();
            return 0;
        }
    }

    @Command(name = "run", description = "Run a command in a new process of the app, attached: your stdin, its stdout and stderr, live, "
            + "with a terminal when you are at one (grid run -a APP bash); exits with its exit code.")
    static final class Run extends AppCommand {
        @Option(names = "--no-tty", description = "no terminal for the command, even when you are at one") boolean noTty;
        @Parameters(paramLabel = "COMMAND", arity = "1..*") List<String> command;

        public Integer call() {
            Terminal t = grid.terminal != null ? grid.terminal : Terminal.system();
            boolean tty = !noTty && t.interactive();
            return new RunClient(api(), t, err()).run(app, String.join(" ", command), tty);
        }
    }

    @Command(name = "run:detached", description = "Run a command once in a new process of the app and return at once: its output is in grid logs --ps JOB.")
    static final class RunDetached extends AppCommand {
        @Parameters(paramLabel = "COMMAND", arity = "1..*") List<String> command;

        public Integer call() {
            JsonNode r = api().post("/apps/" + app + "/run", Api.map("command", String.join(" ", command), "detached", true));
            String job = r.path("jobId").asText();
            out().println("Running " + String.join(" ", command) + " on " + app + "... up, run." + job);
            out().println("Use 'grid logs -a " + app + " --ps " + job + "' to view the output.");
            out().flush();
            return 0;
        }
    }

    @Command(name = "logs", description = "Show an app's logs (its processes' output and the router's access lines, by time); --tail keeps streaming.")
    static final class Logs extends AppCommand {
        @Option(names = {"-t", "--tail"}, description = "keep streaming new lines") boolean follow;
        @Option(names = {"-n", "--num"}, description = "how many of the last lines to show first") Integer lines;
        @Option(names = {"-p", "--ps"}, paramLabel = "TYPE|JOB", description = "only this process type's or job's lines (and the router's for requests it answered)") String ps;
        @Option(names = {"-s", "--source"}, paramLabel = "app|router", description = "only the app's own output, or only the router's access lines") String source;

        public Integer call() throws Exception {
            String q = "?follow=" + follow + (lines == null ? "" : "&tail=" + lines)
                    + (ps == null ? "" : "&ps=" + java.net.URLEncoder.encode(ps, StandardCharsets.UTF_8))
                    + (source == null ? "" : "&source=" + java.net.URLEncoder.encode(source, StandardCharsets.UTF_8));
            try (var in = new BufferedReader(new InputStreamReader(api().stream("/apps/" + app + "/logs" + q), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    out().println(line);
                    if (out().checkError()) break; // flushed, and nobody reads any more (a closed pipe)
                }
            }
            return 0;
        }
    }
}
