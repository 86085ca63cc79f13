package dev.grid.builder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grid.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Dockerfile, parsed: instructions with their arguments (continuation lines joined, comments
 * and parser directives dropped), and the small grammar the instructions share (exec form,
 * key=value pairs, {@code $VAR} substitution, flags). Grid runs these steps itself
 * ({@link DockerfileBuild}); this class only reads them.
 */
public final class Dockerfile {
    /** The instructions Grid runs; any other is refused by name rather than silently skipped. */
    static final Set<String> KNOWN = Set.of("FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER", "CMD", "ENTRYPOINT",
            "EXPOSE", "LABEL", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "MAINTAINER", "SHELL", "ONBUILD");

    public record Instruction(int line, String keyword, String args) {}

    private Dockerfile() {}

    public static List<Instruction> parse(String text) {
        List<Instruction> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        StringBuilder current = null;
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.strip();
            if (current == null && (trimmed.isEmpty() || trimmed.startsWith("#"))) continue;
            if (current != null && trimmed.startsWith("#")) continue; // a comment inside a continued instruction
            boolean continues = trimmed.endsWith("\\");
            String part = (continues ? trimmed.substring(0, trimmed.length() - 1) : trimmed).stripTrailing();
            if (current == null) {
                current = new StringBuilder(part);
                start = i + 1;
            } else {
                current.append(' ').append(part.strip());
            }
            if (!continues) {
                out.add(instruction(start, current.toString()));
                current = null;
            }
        }
        if (current != null) out.add(instruction(start, current.toString()));
        if (out.isEmpty() || !out.get(0).keyword().equals("FROM") && out.stream().noneMatch(x -> x.keyword().equals("FROM")))
            throw new BuildFailure("the Dockerfile has no FROM line");
        return out;
    }

    private static Instruction instruction(int line, String text) {
        String t = text.strip();
        int space = indexOfSpace(t);
        String keyword = (space < 0 ? t : t.substring(0, space)).toUpperCase(Locale.ROOT);
        String args = space < 0 ? "" : t.substring(space + 1).strip();
        if (!KNOWN.contains(keyword)) throw new BuildFailure("Dockerfile line " + line + ": unknown instruction " + keyword);
        return new Instruction(line, keyword, args);
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return -1;
    }

    /** The JSON array form ({@code ["node", "server.js"]}), if the arguments are one. */
    public static Optional<List<String>> execForm(String args) {
        if (!args.startsWith("[")) return Optional.empty();
        try {
            JsonNode n = Json.MAPPER.readTree(args);
            if (!n.isArray()) return Optional.empty();
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) return Optional.empty();
                out.add(e.asText());
            }
            return Optional.of(out);
        } catch (Exception notJson) {
            return Optional.empty(); // shell form that happens to start with [
        }
    }

    /** Words split on blanks, with quotes grouping and backslash escaping, as Docker reads COPY and ENV. */
    public static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else if (c == '\\' && quote == '"' && i + 1 < s.length()) w.append(s.charAt(++i));
                else w.append(c);
            } else if (Character.isWhitespace(c)) {
                if (w != null) out.add(w.toString());
                w = null;
            } else {
                if (w == null) w = new StringBuilder();
                if (c == '"' || c == '\'') quote = c;
                else if (c == '\\' && i + 1 < s.length()) w.append(s.charAt(++i));
                else w.append(c);
            }
        }
        if (w != null) out.add(w.toString());
        return out;
    }

    /** ENV, LABEL and ARG's pairs: {@code K=V K2="v 2"}, or the old {@code ENV K the rest}. */
    public static Map<String, String> pairs(String args, int line) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> w = words(args);
        if (w.isEmpty()) throw new BuildFailure("Dockerfile line " + line + ": a name is missing");
        if (!w.get(0).contains("=")) {
            int space = indexOfSpace(args);
            out.put(w.get(0), space < 0 ? "" : args.substring(space + 1).strip());
            return out;
        }
        for (String kv : w) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new BuildFailure("Dockerfile line " + line + ": expected NAME=VALUE, got '" + kv + "'");
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    /** {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}} and {@code ${VAR:+alt}}; {@code \$} is a dollar. */
    public static String expand(String s, Map<String, String> vars) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '$') {
                out.append('$');
                i++;
            } else if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) {
                    out.append(s.substring(i));
                    break;
                }
                String body = s.substring(i + 2, end);
                int op = body.indexOf(':');
                if (op > 0 && op + 1 < body.length() && (body.charAt(op + 1) == '-' || body.charAt(op + 1) == '+')) {
                    String name = body.substring(0, op);
                    String word = body.substring(op + 2);
                    String v = vars.get(name);
                    boolean set = v != null && !v.isEmpty();
                    out.append(body.charAt(op + 1) == '-' ? (set ? v : word) : (set ? word : ""));
                } else {
                    out.append(vars.getOrDefault(body, ""));
                }
                i = end;
            } else if (c == '$' && i + 1 < s.length() && (Character.isLetter(s.charAt(i + 1)) || s.charAt(i + 1) == '_')) {
                int j = i + 1;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
                out.append(vars.getOrDefault(s.substring(i + 1, j), ""));
                i = j - 1;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Leading {@code --name=value} flags of COPY and ADD, and what follows them. */
    public record Flagged(Map<String, String> flags, List<String> rest) {}

    public static Flagged flags(List<String> words) {
        Map<String, String> flags = new LinkedHashMap<>();
        int i = 0;
        while (i < words.size() && words.get(i).startsWith("--")) {
            String f = words.get(i).substring(2);
            int eq = f.indexOf('=');
            flags.put(eq < 0 ? f : f.substring(0, eq), eq < 0 ? "" : f.substring(eq + 1));
            i++;
        }
        return new Flagged(flags, words.subList(i, words.size()));
    }

    /** A command line for {@code /bin/sh -c} that runs exactly these words. */
    public static String shellLine(List<String> words) {
        List<String> quoted = new ArrayList<>();
        for (String w : words) quoted.add(w.matches("[A-Za-z0-9_@%+=:,./-]+") ? w : "'" + w.replace("'", "'\"'\"'") + "'");
        return String.join(" ", quoted);
    }
}
