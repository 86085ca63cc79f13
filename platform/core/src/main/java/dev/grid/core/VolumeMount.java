package dev.grid.core;

/** A named persistent volume mounted at a path inside the job's container. */
public record VolumeMount(String name, String path) {}
