package dev.grid.controller;

/** The controller's settings: the bearer token every client must present. */
public record ControllerConfig(String token) {}
