package dev.grid.net;

import java.util.ArrayList;
import java.util.List;

/** The {@code nft} command: loads scripts, answers listings. Errors carry nft's own words. */
public final class Nft {
    private Nft() {}

    /** Loads a script in one transaction (all or nothing). */
    public static void load(String script) {
        Commands.run(List.of("nft", "-f", "-"), script);
    }

    /** Runs {@code nft ARGS...} and returns what it printed. */
    public static String run(String... args) {
        List<String> command = new ArrayList<>(List.of("nft"));
        command.addAll(List.of(args));
        return Commands.run(command, null);
    }

    /** Whether nftables can be used on this machine; the reason if not. */
    public static String unusable() {
        return Commands.unusable("nft", "list", "tables");
    }
}
