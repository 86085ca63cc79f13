package dev.grid.core;

/**
 * The image builds and app processes run in, which scripts/setup-host.sh builds on every machine
 * (debootstrap and docker import: none is pulled). Its tag changes when its contents do, and this
 * is the one place Java code names it (StackImageTest holds setup-host.sh to the same).
 */
public final class StackImage {
    /** The tag this version of Grid builds and uses unless GRID_STACK_IMAGE says otherwise. */
    public static final String DEFAULT = "grid/stack:bookworm-5";

    private StackImage() {}

    /** GRID_STACK_IMAGE from {@code env}, or {@link #DEFAULT}. */
    public static String of(java.util.Map<String, String> env) {
        String image = env.get("GRID_STACK_IMAGE");
        return image == null || image.isBlank() ? DEFAULT : image;
    }

    /** This process's: GRID_STACK_IMAGE, or {@link #DEFAULT}. */
    public static String configured() {
        return of(System.getenv());
    }
}
