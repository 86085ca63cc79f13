package dev.grid.core;

import java.time.Instant;

/**
 * A host an operator declared gone for good ({@code grid hosts:remove}). Its jobs are placed
 * elsewhere, data nodes included (with fresh volumes, rebuilt from a surviving member), and a
 * host agent with its id is refused: the machine comes back only under a new id, with nothing of its past.
 *
 * @param dataLossAccepted whether the operator let a replica that may lack acknowledged writes become a primary
 */
public record RemovedHost(String id, Instant removedAt, boolean dataLossAccepted) {}
