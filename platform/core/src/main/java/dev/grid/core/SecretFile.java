package dev.grid.core;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.Supplier;

/**
 * A secret kept in a file of GRID_HOME: created with mode 0600 in one step (never readable by
 * others, not even for a moment), read back on every later start.
 */
public final class SecretFile {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFile() {}

    /** The file's content, trimmed; if the file does not exist, {@code fresh} is written to it first. */
    public static String readOrCreate(Path file, Supplier<String> fresh) throws IOException {
        if (Files.exists(file)) return Files.readString(file).trim();
        write(file, fresh.get());
        return Files.readString(file).trim();
    }

    /** Writes a new file with mode 0600; an existing one is kept (a concurrent start won). */
    public static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            Files.writeString(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    content + "\n");
        } catch (FileAlreadyExistsException kept) {
            // another process made it first: its content counts
        }
    }

    /** {@code bytes} random bytes as hex. */
    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
