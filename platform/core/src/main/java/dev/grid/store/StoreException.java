package dev.grid.store;

/** etcd could not be reached or refused a request. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
