package dev.grid.appliance;

import java.security.SecureRandom;

/** Passwords for clusters and add-ons. */
public final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private Secrets() {}

    /** A random token of letters and digits (URL- and config-safe). */
    public static String token(int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        return b.toString();
    }
}
