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
    public static synchronized String publish(Blobs blobs, Class<? extends Datastore> datastore) throws IOException, InterruptedException {
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
                    + "exec java -XX:+UseSerialGC -Xmx64m -Xss512k -XX:TieredStopAtLevel=1 -cp " + String.join(":", classpath)
                    + " " + Keeper.class.getName() + " " + datastore.getName() + "\n";
            Path bin = staging.resolve("keeper");
            Files.writeString(bin, launcher);
            bin.toFile().setExecutable(true, false);
            digest.update(launcher.getBytes(StandardCharsets.UTF_8));
            String blob = "keeper-" + HexFormat.of().formatHex(digest.digest()).substring(0, 20) + ".tgz";
            if (blobs.file(blob).isPresent()) return blobs.url(blob);
            Path tarball = Files.createTempFile("grid-keeper", ".tgz");
            try {
                Process tar = new ProcessBuilder("tar", "-czhf", tarball.toString(), "-C", staging.toString(), "keeper", "cp")
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
