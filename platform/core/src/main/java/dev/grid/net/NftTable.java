package dev.grid.net;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one nftables table of a Grid host ({@code inet grid_HOSTID}), and its one writer. Its
 * parts (the host's app firewall, the router's kernel TCP routes) each give their sets, chains
 * and objects; the table is their union, written in one nft transaction whenever a part changes.
 *
 * <p>The first write of a process replaces whatever table of that name is there (a killed run's
 * included). After that a write changes the table in place: chains are flushed and filled again,
 * and sets marked {@link Set#dynamic} are never touched, so what the kernel keeps in them (the
 * connections counted against a route's cap) survives a change of routes. A write that fails in
 * place is tried once more as a replacement.
 */
public final class NftTable {
    private static final Logger log = LoggerFactory.getLogger(NftTable.class);

    /**
     * A named set. {@code elements} are nft's element expressions; a {@code dynamic} set is
     * filled by rules (as a meter with {@code ct count}) and its elements are left to the kernel;
     * {@code size} bounds it (0: nft's default).
     */
    public record Set(String name, String type, List<String> flags, List<String> elements, boolean dynamic, int size) {
        public static Set of(String name, String type, Collection<String> elements) {
            return new Set(name, type, List.of(), List.copyOf(elements), false, 0);
        }

        public static Set intervals(String name, String type, Collection<String> elements) {
            return new Set(name, type, List.of("interval"), List.copyOf(elements), false, 0);
        }

        /** A set rules add to (a meter): {@code size} keys at most. */
        public static Set dynamic(String name, String type, int size) {
            return new Set(name, type, List.of("dynamic"), List.of(), true, size);
        }
    }

    /** A chain; {@code base} is its hook line ({@code type nat hook output priority -100; policy accept;}), null for a regular chain. */
    public record Chain(String name, String base, List<String> rules) {
        public static Chain regular(String name, List<String> rules) {
            return new Chain(name, null, List.copyOf(rules));
        }

        public static Chain base(String name, String base, List<String> rules) {
            return new Chain(name, base, List.copyOf(rules));
        }
    }

    /** A stateful object: {@code kind} is {@code counter} or {@code ct timeout}, {@code body} what its braces hold. */
    public record Obj(String kind, String name, String body) {
        public static Obj counter(String name) {
            return new Obj("counter", name, "");
        }
    }

    /** What one part of Grid puts in the table. */
    public record Part(List<Set> sets, List<Chain> chains, List<Obj> objects) {
        public static final Part EMPTY = new Part(List.of(), List.of(), List.of());
    }

    private final String name;
    private final Consumer<String> nft;
    private final Map<String, Part> parts = new TreeMap<>();
    /** The content last written, null before the first write (or after a failed one). */
    private Part applied;

    /** The table of a host, written with the real {@code nft}. */
    public static NftTable forHost(String hostId) {
        return new NftTable(tableName(hostId), Nft::load);
    }

    /** One table per host: Grids (and test hosts) sharing a machine never replace each other's. */
    public static String tableName(String hostId) {
        return "grid_" + hostId.replaceAll("[^A-Za-z0-9_]", "_");
    }

    public NftTable(String name, Consumer<String> nft) {
        this.name = name;
        this.nft = nft;
    }

    public String name() {
        return name;
    }

    /** Sets part {@code part} and writes the table if that changed it; an error (the reason from nft) leaves the table as it was. */
    public synchronized void put(String part, Part content) {
        Part before = parts.put(part, content);
        if (content.equals(before) && applied != null) return;
        try {
            write();
        } catch (RuntimeException e) {
            if (before == null) parts.remove(part);
            else parts.put(part, before);
            throw e;
        }
    }

    /** Removes a part; the table goes with the last one. */
    public synchronized void remove(String part) {
        if (parts.remove(part) == null) return;
        if (parts.isEmpty()) {
            applied = null;
            try {
                nft.accept("table inet " + name + " {}\ndelete table inet " + name + "\n");
            } catch (IllegalStateException e) {
                log.warn("cannot remove nftables table {}: {}", name, e.getMessage());
            }
        } else {
            write();
        }
    }

    /** Whether the table holds a part. */
    public synchronized boolean has(String part) {
        return parts.containsKey(part);
    }

    private void write() {
        Part next = union(parts.values());
        if (next.equals(applied)) return;
        if (applied != null) {
            try {
                nft.accept(change(name, applied, next));
                applied = next;
                return;
            } catch (IllegalStateException e) {
                log.warn("nftables table {} could not be changed in place ({}); replacing it", name, e.getMessage());
            }
        }
        applied = null;
        nft.accept(replacement(name, next));
        applied = next;
    }

    /** The parts together; names must not clash (each part prefixes its own). */
    static Part union(Collection<Part> parts) {
        Map<String, Set> sets = new LinkedHashMap<>();
        Map<String, Chain> chains = new LinkedHashMap<>();
        Map<String, Obj> objects = new LinkedHashMap<>();
        for (Part p : parts) {
            for (Set s : p.sets()) unique(sets, s.name(), s);
            for (Chain c : p.chains()) unique(chains, c.name(), c);
            for (Obj o : p.objects()) unique(objects, o.kind() + " " + o.name(), o);
        }
        return new Part(List.copyOf(sets.values()), List.copyOf(chains.values()), List.copyOf(objects.values()));
    }

    private static <T> void unique(Map<String, T> into, String key, T value) {
        T had = into.putIfAbsent(key, value);
        if (had != null && !had.equals(value)) throw new IllegalArgumentException("two parts of the table define " + key);
    }

    /** A script that replaces the table in one transaction (creating it first, so that the delete never fails). */
    public static String replacement(String table, Part content) {
        StringBuilder b = new StringBuilder();
        b.append("table inet ").append(table).append(" {}\n");
        b.append("delete table inet ").append(table).append("\n");
        b.append("table inet ").append(table).append(" {\n");
        for (Obj o : content.objects()) b.append("  ").append(object(o)).append("\n");
        for (Set s : content.sets()) b.append("  ").append(set(s)).append("\n");
        // Every chain first, then the rules: a rule may jump to a chain declared after its own.
        for (Chain c : content.chains()) b.append("  chain ").append(c.name()).append(" {").append(c.base() == null ? "" : " " + c.base()).append(" }\n");
        b.append("}\n");
        for (Chain c : content.chains()) for (String r : c.rules()) b.append("add rule inet ").append(table).append(" ").append(c.name()).append(" ").append(r).append("\n");
        return b.toString();
    }

    /**
     * A script that turns the table from {@code from} into {@code to} in one transaction:
     * every chain emptied, chains and objects no longer wanted deleted, new ones added, sets
     * other than dynamic ones refilled, and then every rule added again.
     */
    static String change(String table, Part from, Part to) {
        String t = " inet " + table + " ";
        StringBuilder b = new StringBuilder();
        Map<String, Chain> had = byName(from.chains(), Chain::name);
        Map<String, Chain> want = byName(to.chains(), Chain::name);
        for (Chain c : from.chains()) b.append("flush chain").append(t).append(c.name()).append("\n");
        for (Chain c : from.chains()) {
            Chain w = want.get(c.name());
            if (w == null || !Objects.equals(w.base(), c.base())) b.append("delete chain").append(t).append(c.name()).append("\n");
        }
        Map<String, Set> hadSets = byName(from.sets(), Set::name);
        Map<String, Set> wantSets = byName(to.sets(), Set::name);
        for (Set s : from.sets()) {
            Set w = wantSets.get(s.name());
            if (w == null || !sameShape(s, w)) b.append("delete set").append(t).append(s.name()).append("\n");
        }
        Map<String, Obj> hadObjects = byName(from.objects(), o -> o.kind() + " " + o.name());
        Map<String, Obj> wantObjects = byName(to.objects(), o -> o.kind() + " " + o.name());
        for (Obj o : from.objects()) {
            Obj w = wantObjects.get(o.kind() + " " + o.name());
            if (w == null || !w.equals(o)) b.append("delete ").append(o.kind()).append(t).append(o.name()).append("\n");
        }
        for (Obj o : to.objects()) {
            if (!o.equals(hadObjects.get(o.kind() + " " + o.name()))) b.append("add ").append(o.kind()).append(t).append(body(o)).append("\n");
        }
        for (Set s : to.sets()) {
            Set h = hadSets.get(s.name());
            if (h == null || !sameShape(h, s)) {
                b.append("add set").append(t).append(setBody(s)).append("\n");
            } else if (!s.dynamic() && !h.elements().equals(s.elements())) {
                b.append("flush set").append(t).append(s.name()).append("\n");
                if (!s.elements().isEmpty()) b.append("add element").append(t).append(s.name()).append(" { ").append(String.join(", ", s.elements())).append(" }\n");
            }
        }
        for (Chain c : to.chains()) {
            Chain h = had.get(c.name());
            if (h == null || !Objects.equals(h.base(), c.base())) {
                b.append("add chain").append(t).append(c.name()).append(c.base() == null ? "" : " { " + c.base() + " }").append("\n");
            }
        }
        for (Chain c : to.chains()) for (String r : c.rules()) b.append("add rule").append(t).append(c.name()).append(" ").append(r).append("\n");
        return b.toString();
    }

    private static boolean sameShape(Set a, Set b) {
        return a.type().equals(b.type()) && a.flags().equals(b.flags()) && a.dynamic() == b.dynamic() && a.size() == b.size();
    }

    private static <T> Map<String, T> byName(List<T> items, java.util.function.Function<T, String> key) {
        Map<String, T> m = new LinkedHashMap<>();
        for (T i : items) m.put(key.apply(i), i);
        return m;
    }

    private static String set(Set s) {
        return "set " + setBody(s);
    }

    private static String setBody(Set s) {
        List<String> body = new ArrayList<>();
        body.add("type " + s.type() + ";");
        if (s.size() > 0) body.add("size " + s.size() + ";");
        if (!s.flags().isEmpty()) body.add("flags " + String.join(", ", s.flags()) + ";");
        if (!s.elements().isEmpty()) body.add("elements = { " + String.join(", ", s.elements()) + " };");
        return s.name() + " { " + String.join(" ", body) + " }";
    }

    private static String object(Obj o) {
        return o.kind() + " " + body(o);
    }

    private static String body(Obj o) {
        return o.name() + " {" + (o.body().isEmpty() ? "" : " " + o.body()) + " }";
    }
}
