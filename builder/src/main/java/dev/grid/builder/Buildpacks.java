package dev.grid.builder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** The built-in buildpacks, shipped in the jar and written out for build containers to mount. */
final class Buildpacks {
    static final List<String> FILES = List.of("build.sh", "lib/Truststore.java",
            "packs/10-nodejs/bin/detect", "packs/10-nodejs/bin/compile", "packs/10-nodejs/bin/release",
            "packs/20-java/bin/detect", "packs/20-java/bin/compile", "packs/20-java/bin/release",
            "packs/90-procfile/bin/detect", "packs/90-procfile/bin/compile", "packs/90-procfile/bin/release");

    private Buildpacks() {}

    static Path writeTo(Path dir) throws IOException {
        for (String f : FILES) {
            Path target = dir.resolve(f);
            Files.createDirectories(target.getParent());
            try (InputStream in = Buildpacks.class.getResourceAsStream("/buildpacks/" + f)) {
                if (in == null) throw new IOException("buildpack file missing from the jar: " + f);
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
