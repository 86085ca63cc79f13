package dev.grid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI daemon through the launcher's real client ({@code scripts/cli-client.sh}, run by bash),
 * against a stand-in API that records what it was asked.
 */
class CliDaemonTest {
    private static final Path CLIENT = Path.of("../scripts/cli-client.sh").toAbsolutePath().normalize();
    @TempDir
    Path dir;
    private HttpServer api;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private CliDaemon daemon;
    private Path state;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        api.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                asked.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getRequestHeaders().getFirst("Authorization") + " " + body);
                String path = exchange.getRequestURI().getPath();
                int status = 200;
                String answer;
                if (path.equals("/apps")) {
                    answer = "[{\"name\":\"shop\"},{\"name\":\"blog\"}]";
                } else if (path.startsWith("/apps/shop/config")) {
                    answer = "{\"version\":2}";
                } else {
                    status = 404;
                    answer = "{\"error\":\"no app named 'nosuch': see 'grid apps'\"}";
                }
                byte[] b = answer.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, b.length);
                exchange.getResponseBody().write(b);
            }
        });
        api.start();
        daemon = new CliDaemon("s3cret");
        Thread t = new Thread(daemon::serve, "daemon-under-test");
        t.setDaemon(true);
        t.start();
        state = dir.resolve("cli-daemon");
        Files.writeString(state, daemon.port() + " s3cret " + ProcessHandle.current().pid() + "\n");
    }

    @AfterEach
    void stop() throws IOException {
        daemon.close();
        api.stop(0);
    }

    /** {@code grid ARGS} through the client, in {@code cwd}, with the stand-in API's URL and a token in the environment. */
    private Run grid(Path cwd, Path stateFile, Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", "-c", ". \"$0\"; grid_daemon_run \"$@\"", CLIENT.toString(), stateFile.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().remove("GRID_APP");
        pb.environment().put("GRID_URL", "http://127.0.0.1:" + api.getAddress().getPort());
        pb.environment().put("GRID_TOKEN", "operator-token");
        pb.environment().putAll(env);
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        int exit = p.waitFor();
        return new Run(exit, Files.readString(out), Files.readString(err));
    }

    private Run grid(String... args) throws Exception {
        return grid(dir, state, Map.of(), args);
    }

    @Test
    void aCommandRunsInTheDaemonWithItsOutputItsErrorsAndItsExitCodeApart() throws Exception {
        Run apps = grid("apps");
        assertEquals(new Run(0, "=== Apps\nshop\nblog\n", ""), apps);
        assertTrue(asked.get(0).startsWith("GET /apps Bearer operator-token"), "with the client's token: " + asked);
        Run missing = grid("apps:info", "-a", "nosuch");
        assertEquals(1, missing.exit());
        assertEquals("", missing.out());
        assertEquals(" !    no app named 'nosuch': see 'grid apps'\n", missing.err());
    }

    @Test
    void itRunsAsIfInTheClientsCheckoutWithTheClientsArgumentsIntact() throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("shop-src"));
        new ProcessBuilder("git", "init", "-q").directory(checkout.toFile()).start().waitFor();
        new ProcessBuilder("git", "remote", "add", "grid", "ssh://git@grid.example:2222/shop.git").directory(checkout.toFile()).start().waitFor();
        Run set = grid(checkout, state, Map.of(), "config:set", "GREETING=two words\nand a line");
        assertEquals(0, set.exit(), set.err());
        String patch = asked.stream().filter(a -> a.startsWith("PATCH /apps/shop/config")).findFirst().orElseThrow(() -> new AssertionError(asked.toString()));
        assertTrue(patch.contains("two words\\nand a line"), "the app from the checkout's remote, the value whole: " + patch);
        Run env = grid(dir, state, Map.of("GRID_APP", "blog"), "ps");
        assertTrue(asked.stream().anyMatch(a -> a.startsWith("GET /apps/blog")), "GRID_APP is the client's: " + asked + " " + env);
    }

    @Test
    void withoutTheSecretNothingRunsAndWithoutADaemonTheLauncherIsToldToRunItItself() throws Exception {
        Path forged = dir.resolve("forged");
        Files.writeString(forged, daemon.port() + " guessed 1\n");
        Run refused = grid(dir, forged, Map.of(), "apps");
        assertEquals(2, refused.exit());
        assertTrue(refused.err().contains("secret was not given: it runs nothing"), refused.err());
        assertEquals(List.of(), asked, "the API was asked nothing");
        Path gone = dir.resolve("gone");
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        Files.writeString(gone, free + " s3cret 1\n");
        assertEquals(254, grid(dir, gone, Map.of(), "apps").exit());
        assertEquals(254, grid(dir, dir.resolve("none"), Map.of(), "apps").exit());
    }

    @Test
    void aFollowedLogStaysOutOfTheDaemonWhereItWouldOutliveItsCaller() throws Exception {
        for (var c : Map.of("logs -a shop", 0, "logs -a shop -n 5", 0, "logs --tail -a shop", 1, "logs -a shop -t", 1, "logs -tn5 -a shop", 1,
                "logs --tail=true", 1, "apps", 0, "run -a shop bash", 1, "nosuch", 1).entrySet()) {
            Process p = new ProcessBuilder("bash", "-c", ". \"$0\"; grid_daemon_takes " + c.getKey(), CLIENT.toString()).start();
            assertEquals(c.getValue(), p.waitFor(), c.getKey());
        }
    }

    @Test
    void theDaemonRunsOnlyCommandsThatNeedNoTerminalNoStdinAndNoFileOfTheCallers() throws Exception {
        String script = Files.readString(CLIENT);
        String list = script.substring(script.indexOf("GRID_DAEMON_COMMANDS=\"") + 22);
        list = list.substring(0, list.indexOf('"'));
        CommandLine root = new CommandLine(new Grid());
        for (String name : list.trim().split("\\s+")) {
            CommandLine sub = root.getSubcommands().get(name);
            assertTrue(sub != null, name + " is not a command");
            for (CommandLine.Model.ArgSpec a : sub.getCommandSpec().args()) {
                assertTrue(!Path.class.isAssignableFrom(a.type()) && !java.io.File.class.isAssignableFrom(a.type()),
                        name + " takes a file (" + a.paramLabel() + "), which the daemon would look for in its own directory");
            }
        }
        for (String local : List.of("up", "down", "restart", "run", "pg:psql", "redis:cli", "keys:add", "certs:add", "pg:backups:restore")) {
            assertTrue(!(" " + list.trim().replaceAll("\\s+", " ") + " ").contains(" " + local + " "), local + " needs the caller's terminal, stdin or files");
        }
    }
}
