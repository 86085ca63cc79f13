package dev.grid.appliance;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What a data node's datastore is now, as its keeper observes it ({@link Datastore.Observation#role})
 * and reports it ({@link NodeReport#role}). Written to etcd as its lower-case word.
 */
public enum Role {
    /** Takes writes. */
    PRIMARY,
    /** Holds a copy of a primary's history, streaming or not: a candidate for promotion. */
    REPLICA,
    /**
     * Answers, but holds no usable copy yet (Redis receiving a full copy from its upstream): never a
     * candidate for promotion, and not counted as streaming.
     */
    SYNCING,
    /** Does not answer. */
    STOPPED;

    @JsonValue
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role a report's word names; an unknown word is an {@link IllegalArgumentException} that lists the known ones. */
    @JsonCreator
    public static Role of(String word) {
        for (Role r : values()) if (r.word().equals(word)) return r;
        throw new IllegalArgumentException("no data node role '" + word + "': one of primary, replica, syncing, stopped");
    }

    @Override
    public String toString() {
        return word();
    }
}
