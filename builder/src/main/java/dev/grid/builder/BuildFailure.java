package dev.grid.builder;

/** Why a push did not deploy, in one line the pusher sees as the rejection reason. */
public final class BuildFailure extends RuntimeException {
    public BuildFailure(String reason) {
        super(reason);
    }
}
