package dev.grid.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which app a command is about, as Heroku's CLI decides it: {@code -a APP}, else {@code GRID_APP},
 * else the git remote {@code grid} of the checkout the command runs in (the one {@code apps:create}
 * adds, whose URL ends with the app's name). The checkout's git config is read as a file: no
 * {@code git} process is started for it.
 */
final class AppName {
    static final String REMOTE = "grid";
    private static final Pattern SECTION = Pattern.compile("\\s*\\[\\s*([^\\s\\]\"]+)(?:\\s+\"((?:[^\"\\\\]|\\\\.)*)\")?\\s*\\]\\s*(.*)");
    private static final Pattern ENTRY = Pattern.compile("\\s*([A-Za-z][A-Za-z0-9-]*)\\s*=\\s*(.*?)\\s*");

    private AppName() {}

    /** The app, or a {@link CliException} that says what was tried. */
    static String resolve(String flag, String env, Path dir) {
        if (flag != null && !flag.isBlank()) return flag;
        if (env != null && !env.isBlank()) return env.strip();
        Path config = gitConfig(dir);
        String tried;
        if (config == null) {
            tried = "no git checkout in " + dir;
        } else {
            String url = remoteUrl(config, REMOTE);
            if (url != null && appOf(url) != null) return appOf(url);
            tried = url == null ? "the checkout in " + config.getParent().getParent() + " has no git remote " + REMOTE
                    : "the git remote " + REMOTE + " (" + url + ") names no app";
        }
        throw new CliException("which app? Tried -a APP (not given), GRID_APP (not set) and the git remote " + REMOTE + " (" + tried
                + "). Pass -a APP, set GRID_APP, or run this in the app's checkout (grid apps:create adds the remote)");
    }

    /** The config file of the git checkout {@code dir} is in, or null if it is in none. */
    static Path gitConfig(Path dir) {
        for (Path d = dir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
            Path git = d.resolve(".git");
            try {
                if (Files.isDirectory(git)) return git.resolve("config");
                if (Files.isRegularFile(git)) {
                    // A worktree or a submodule: "gitdir: PATH"; a worktree's config is its main checkout's (commondir).
                    String line = Files.readString(git).strip();
                    if (!line.startsWith("gitdir:")) return null;
                    Path gitDir = d.resolve(line.substring("gitdir:".length()).strip()).normalize();
                    Path common = gitDir.resolve("commondir");
                    if (Files.isRegularFile(common)) gitDir = gitDir.resolve(Files.readString(common).strip()).normalize();
                    return gitDir.resolve("config");
                }
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    /** The url of remote {@code name} in a git config file, or null. */
    static String remoteUrl(Path config, String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(config);
        } catch (IOException e) {
            return null;
        }
        boolean in = false;
        for (String raw : lines) {
            String line = raw;
            Matcher s = SECTION.matcher(line);
            if (s.matches()) {
                in = s.group(1).equalsIgnoreCase("remote") && name.equals(s.group(2) == null ? null : s.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
                line = s.group(3); // "[remote "grid"] url = ..." on one line is allowed
            }
            if (!in) continue;
            int comment = commentAt(line);
            if (comment >= 0) line = line.substring(0, comment);
            Matcher e = ENTRY.matcher(line);
            if (e.matches() && e.group(1).equalsIgnoreCase("url")) return unquote(e.group(2));
        }
        return null;
    }

    private static int commentAt(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') quoted = !quoted;
            else if (!quoted && (c == '#' || c == ';')) return i;
        }
        return -1;
    }

    private static String unquote(String v) {
        String s = v.strip();
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    /** The app a Grid git URL names ({@code ssh://git@HOST:2222/APP}, with or without {@code .git} or a slash at the end), or null. */
    static String appOf(String url) {
        String u = url.strip();
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        if (u.endsWith(".git")) u = u.substring(0, u.length() - 4);
        int cut = Math.max(u.lastIndexOf('/'), u.lastIndexOf(':'));
        String app = u.substring(cut + 1);
        return app.matches("[a-z][a-z0-9-]{0,29}") ? app : null;
    }

    /**
     * The remote URL {@code url} with its app {@code from} renamed {@code to} (its last path
     * segment, {@code .git} kept as it was), or null if the URL does not name {@code from}.
     */
    static String renamed(String url, String from, String to) {
        if (url == null || !from.equals(appOf(url))) return null;
        String u = url.strip();
        String tail = "";
        while (u.endsWith("/")) {
            tail = "/" + tail;
            u = u.substring(0, u.length() - 1);
        }
        if (u.endsWith(".git")) {
            tail = ".git" + tail;
            u = u.substring(0, u.length() - 4);
        }
        return u.substring(0, u.length() - from.length()) + to + tail;
    }
}
