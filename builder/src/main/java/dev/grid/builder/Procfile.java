package dev.grid.builder;

import dev.grid.core.ProcessType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Procfile, parsed strictly: each line is {@code type: command}; blank lines
 * and {@code #} comments are allowed; anything else is an error that names the
 * line, so a push with a bad Procfile fails before anything is deployed.
 */
public final class Procfile {
    private static final Pattern LINE = Pattern.compile("^([A-Za-z0-9_-]+)[ \\t]*:[ \\t]*(.*?)[ \\t]*$");

    private Procfile() {}

    /** A Procfile line that cannot be used, with its number (1-based). */
    public static final class ProcfileException extends IllegalArgumentException {
        public ProcfileException(int line, String message) {
            super("Procfile line " + line + ": " + message);
        }
    }

    /** Process types in file order. The {@code release} type, if any, is included: the deploy runs it once, first. */
    public static Map<String, String> parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i];
            String trimmed = raw.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) continue;
            Matcher m = LINE.matcher(raw);
            if (!m.matches()) {
                throw new ProcfileException(i + 1, "expected 'type: command', got '" + trimmed + "'");
            }
            String type = m.group(1);
            String problem = ProcessType.typeProblem(type);
            if (problem != null) throw new ProcfileException(i + 1, problem);
            if (m.group(2).isEmpty()) throw new ProcfileException(i + 1, "process type '" + type + "' has no command");
            if (types.put(type, m.group(2)) != null) throw new ProcfileException(i + 1, "process type '" + type + "' is defined twice");
        }
        if (types.isEmpty()) throw new ProcfileException(1, "the Procfile defines no process type");
        return types;
    }
}
