package dev.grid.appliance;

/**
 * How a datastore's replication positions compare. A position is the datastore's own text (an LSN,
 * an offset, a GTID) that its keeper reports ({@link Datastore.Observation#position}); Grid never
 * reads one, and asks this instead which of two nodes holds more of the cluster's one history
 * (whom to promote), and how far a replica is behind (lag, for people and metrics). The appliance
 * ({@link Failover.Rules#positions}) and its datastore ({@link Datastore#positions}) must return
 * the same. Null is the position of a node that has said none: below every other.
 */
public interface Positions {
    /**
     * Negative, zero or positive as {@code a} holds less of the cluster's history than {@code b},
     * as much, or more. Two positions of one history always compare; a text this datastore never
     * reports is an {@link IllegalArgumentException}.
     */
    int compare(String a, String b);

    /** How far {@code behind} is behind {@code ahead}, in {@link #unit()}s; 0 when it is not behind. */
    long distance(String behind, String ahead);

    /** What {@link #distance} counts, plural: "bytes", "transactions". */
    String unit();

    /** Positions that are whole numbers growing with every write (Postgres's LSN as a number of bytes, Redis's offset). */
    Positions BYTES = by("bytes", Long::parseLong);

    /**
     * Positions ordered by a whole number read from each ({@code ordinal}), which grows with every
     * write whichever node made it (MariaDB: a GTID's sequence number), and counts {@code unit}.
     * A text {@code ordinal} cannot read is an {@link IllegalArgumentException} that names it.
     */
    static Positions by(String unit, java.util.function.ToLongFunction<String> ordinal) {
        return new Positions() {
            @Override
            public int compare(String a, String b) {
                return Long.compare(value(a), value(b));
            }

            @Override
            public long distance(String behind, String ahead) {
                return Math.max(0, value(ahead) - Math.max(0, value(behind)));
            }

            @Override
            public String unit() {
                return unit;
            }

            private long value(String p) {
                if (p == null) return -1;
                try {
                    return ordinal.applyAsLong(p);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("position '" + p + "' is not one of " + unit + ": " + e.getMessage());
                }
            }
        };
    }

    /** Whether {@code a} holds at least what {@code b} does. */
    default boolean atLeast(String a, String b) {
        return compare(a, b) >= 0;
    }

    /** Ordering node ids by their positions. */
    default java.util.Comparator<String> byPosition(java.util.function.Function<String, String> positionOf) {
        return (x, y) -> compare(positionOf.apply(x), positionOf.apply(y));
    }
}
