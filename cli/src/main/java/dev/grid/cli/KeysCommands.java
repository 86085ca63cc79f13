package dev.grid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code grid keys}, {@code keys:add}, {@code keys:remove}: who may git push. */
final class KeysCommands {
    private KeysCommands() {}

    @Command(name = "keys", description = "List the SSH keys that may git push.")
    static final class List extends Grid.Read {
        @Override
        JsonNode fetch() {
            return api().get("/keys");
        }

        @Override
        void render(JsonNode keys) throws Exception {
            Table t = new Table("FINGERPRINT", "TYPE", "COMMENT");
            for (JsonNode k : keys) t.row(k.path("fingerprint").asText(), k.path("type").asText(), k.path("comment").asText());
            t.print(out());
        }
    }

    @Command(name = "keys:add", description = "Allow a public key to git push (default: ~/.ssh/id_ed25519.pub, then id_rsa.pub).")
    static final class Add extends Grid.Base {
        @Parameters(paramLabel = "FILE", arity = "0..1") Path file;

        public Integer call() {
            Path f = file;
            if (f == null) {
                Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
                f = Files.exists(ssh.resolve("id_ed25519.pub")) ? ssh.resolve("id_ed25519.pub") : ssh.resolve("id_rsa.pub");
            }
            if (!Files.isReadable(f)) throw new CliException("cannot read " + f + ": name your public key file, or make one with ssh-keygen -t ed25519");
            try {
                JsonNode k = api().post("/keys", Api.map("publicKey", Files.readString(f)));
                out().println("Uploading " + f + " SSH key... done (" + k.path("fingerprint").asText() + ")");
            } catch (java.io.IOException e) {
                throw new CliException("cannot read " + f + ": " + e.getMessage());
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "keys:remove", description = "Remove a key by fingerprint or comment.")
    static final class Remove extends Grid.Base {
        @Parameters(paramLabel = "FINGERPRINT|COMMENT") String key;

        public Integer call() {
            api().delete("/keys?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
            out().println("Removing " + key + " SSH key... done");
            out().flush();
            return 0;
        }
    }
}
