package dev.llada.platform.application;

import java.time.Instant;
import java.util.UUID;

/** A quota counter that disagrees with what the ledger says it should be. */
public record Drift(
    String scopeKind,
    UUID scopeId,
    String metric,
    Instant windowStart,
    long counter,
    long ledger) {}
