package dev.grid.core;

/** One live instance of a service (key services/SERVICE/instances/ID, leased). */
public record Instance(String service, String id, String address, int port, String jobId, String hostId) {}
