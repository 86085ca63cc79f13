package dev.grid.appliance;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grid.appliance.keeper.Keeper;
import dev.grid.blobs.Blobs;
import dev.grid.core.Instance;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The keeper as a slug: the code of the keeper, of the datastore plug-in and of Jackson,
 * packed into a tarball in the blob store, so that every host fetches and mounts it at
 * /app like an app's slug. It is packed from wherever those classes were loaded (Grid's
 * jar, or a build's class directories), so it is always the code that runs the manager.
 */
public final class KeeperProgram {
    private KeeperProgram() {}

    /** Packs (once per content) and stores the keeper for {@code datastore}; returns the slug URL. */
    public static String publish(Blobs blobs, Class<? extends Datastore> datastore) throws IOException, InterruptedException {
        return publish(blobs, datastore, "");
    }

    /** As above, the keeper's JVM started with {@code javaOptions} too. */
    public static synchronized String publish(Blobs blobs, Class<? extends Datastore> datastore, String javaOptions) throws IOException, InterruptedException {
        javaOptions = checkJavaOptions(javaOptions);
        Set<Path> sources = new LinkedHashSet<>();
        for (Class<?> c : List.of(Keeper.class, datastore, Instance.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class)) {
            sources.add(codeSource(c));
        }
        Path staging = Files.createTempDirectory("grid-keeper");
        try {
            Path cpDir = Files.createDirectories(staging.resolve("cp"));
            List<String> classpath = new ArrayList<>();
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            int i = 0;
            for (Path source : sources) {
                String name = Files.isDirectory(source) ? String.valueOf(i) : i + ".jar";
                Files.createSymbolicLink(cpDir.resolve(name), source);
                classpath.add("/app/cp/" + name);
                digest.update((source + "@" + lastModified(source)).getBytes(StandardCharsets.UTF_8));
                i++;
            }
            String launcher = "#!/bin/sh\n# Grid keeper: converges this node's datastore to the cluster state in etcd.\n"
                    + "exec java -XX:+UseSerialGC -Xmx64m -Xss512k -XX:TieredStopAtLevel=1 " + (javaOptions.isBlank() ? "" : javaOptions.strip() + " ")
                    + "-cp " + String.join(":", classpath)
                    + " " + Keeper.class.getName() + " " + datastore.getName() + "\n";
            Path bin = staging.resolve("keeper");
            Files.writeString(bin, launcher);
            bin.toFile().setExecutable(true, false);
            digest.update(launcher.getBytes(StandardCharsets.UTF_8));
            String name = "keeper-" + HexFormat.of().formatHex(digest.digest()).substring(0, 20);
            String blob = name + ".tgz";
            if (blobs.file(blob).isPresent()) return blobs.url(blob);
            // The keeper says which program it runs (its reports' program), so that an upgrade knows when a node has it.
            Files.writeString(staging.resolve(PROGRAM_FILE), name + "\n");
            Path tarball = Files.createTempFile("grid-keeper", ".tgz");
            try {
                Process tar = new ProcessBuilder("tar", "-czhf", tarball.toString(), "-C", staging.toString(), "keeper", "cp", PROGRAM_FILE)
                        .redirectErrorStream(true).start();
                String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (tar.waitFor() != 0) throw new IOException("packing the keeper failed: " + out.strip());
                return blobs.put(blob, tarball);
            } finally {
                Files.deleteIfExists(tarball);
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            new ProcessBuilder("rm", "-rf", staging.toString()).start().waitFor();
        }
    }

    private static final String PROGRAM_FILE = "program";

    /** {@code options} as the launcher takes them (null is none), or a clear error: they go into a shell script. */
    public static String checkJavaOptions(String options) {
        if (options == null) return "";
        if (!options.matches("[A-Za-z0-9_:=+.,/ -]*") || !(options.isBlank() || options.strip().startsWith("-"))) {
            throw new IllegalArgumentException("invalid GRID_KEEPER_JAVA_OPTS '" + options + "': give JVM options such as -Xmx96m, separated by spaces");
        }
        return options.strip();
    }

    /** The program a slug's URL names: its blob's name without {@code .tgz}. */
    public static String name(String slugUrl) {
        String file = slugUrl.substring(slugUrl.lastIndexOf('/') + 1);
        return file.endsWith(".tgz") ? file.substring(0, file.length() - 4) : file;
    }

    /**
     * The program this JVM runs, read from the slug it was started from ({@code /app/program},
     * beside {@code /app/cp}), or null when it was not started from a keeper slug (tests, an IDE).
     */
    public static String running() {
        try {
            Path app = codeSource(Keeper.class).getParent().getParent();
            Path file = app.resolve(PROGRAM_FILE);
            return app.resolve("cp").equals(codeSource(Keeper.class).getParent()) && Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("cannot find where " + c.getName() + " was loaded from", e);
        }
    }

    private static long lastModified(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.getLastModifiedTime(p).toMillis();
        try (var files = Files.walk(p)) {
            return files.mapToLong(f -> f.toFile().lastModified()).max().orElse(0);
        }
    }
}
