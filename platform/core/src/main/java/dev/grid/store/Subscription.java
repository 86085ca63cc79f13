package dev.grid.store;

/** Something that delivers changes until closed; closing never fails. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
