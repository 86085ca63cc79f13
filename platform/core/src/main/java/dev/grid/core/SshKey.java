package dev.grid.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;

/**
 * A public key allowed to push (key keys/FINGERPRINT). The fingerprint is
 * OpenSSH's SHA256 form, as `ssh-keygen -lf` prints it.
 */
public record SshKey(String fingerprint, String type, String publicKey, String comment, Instant addedAt) {
    private static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521");

    /** Parses one OpenSSH public key line ("type base64 [comment]"); throws with what is wrong. */
    public static SshKey parse(String line) {
        if (line == null || line.isBlank()) throw GridException.invalid("a public key is required (the contents of e.g. ~/.ssh/id_ed25519.pub)");
        String[] parts = line.strip().split("\\s+", 3);
        if (parts.length < 2 || !TYPES.contains(parts[0])) {
            throw GridException.invalid("not an OpenSSH public key: expected 'ssh-ed25519 AAAA... comment' (or ssh-rsa, ecdsa-sha2-*); give the .pub file, never the private key");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw GridException.invalid("the public key's base64 part is damaged");
        }
        return new SshKey(fingerprint(blob), parts[0], parts[0] + " " + parts[1], parts.length == 3 ? parts[2] : "", Instant.now());
    }

    public static String fingerprint(byte[] blob) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key id as used in etcd and URLs (the fingerprint without its "SHA256:" and with URL-safe characters). */
    public String id() {
        return fingerprint.substring(7).replace('+', '-').replace('/', '_');
    }
}
