package dev.grid.testing;

/** Reads samples out of a Prometheus text exposition, as a scraper would. */
public final class Scrape {
    private Scrape() {}

    /**
     * The value of the first sample named {@code name} whose labels include every pair of
     * {@code labels} ("k1", "v1", "k2", "v2", ...); NaN if there is none.
     */
    public static double value(String exposition, String name, String... labels) {
        for (String line : exposition.split("\n")) {
            if (matches(line, name, labels)) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return Double.NaN;
    }

    /** The sum of every sample named {@code name} whose labels include {@code labels}; 0 if there is none. */
    public static double sum(String exposition, String name, String... labels) {
        double total = 0;
        for (String line : exposition.split("\n")) {
            if (matches(line, name, labels)) total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return total;
    }

    private static boolean matches(String line, String name, String... labels) {
        if (line.startsWith("#") || line.isBlank()) return false;
        int brace = line.indexOf('{');
        String sampleName = brace > 0 ? line.substring(0, brace) : line.substring(0, line.lastIndexOf(' '));
        if (!sampleName.equals(name)) return false;
        String labelText = brace > 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (!labelText.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) return false;
        }
        return true;
    }
}
