package dev.grid.core;

import java.time.Instant;

/** A TLS certificate chain and its private key (PEM) for a domain, served by the router by SNI. */
public record Certificate(String domain, String certPem, String keyPem, Instant notAfter, Instant addedAt) {}
