package dev.grid.core;

/** A failure a client caused or must know about, with the HTTP status it maps to. */
public class GridException extends RuntimeException {
    private final int status;

    public GridException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static GridException notFound(String message) { return new GridException(404, message); }
    public static GridException invalid(String message) { return new GridException(422, message); }
    public static GridException conflict(String message) { return new GridException(409, message); }
}
