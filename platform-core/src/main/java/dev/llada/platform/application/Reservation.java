package dev.llada.platform.application;

import dev.llada.platform.domain.RateLimitStatus;
import java.util.UUID;

/**
 * Usage reserved for one admitted request, to be settled exactly once.
 *
 * @param requestId the request's id (also its ledger key and the {@code x-request-id} header)
 * @param tenantId who pays
 * @param apiKeyId through which key
 * @param reservedTokens generated tokens reserved (gen_length)
 * @param reservedUnits compute units reserved (steps × sequence length × (2 with CFG))
 * @param limits what the rate-limit headers report
 * @param queueWeight the tenant's share of the worker's steps (weighted fair queueing)
 */
public record Reservation(
    UUID requestId,
    UUID tenantId,
    UUID apiKeyId,
    int reservedTokens,
    long reservedUnits,
    RateLimitStatus limits,
    int queueWeight) {

  /** A reservation of a tenant of weight 1. */
  public Reservation(
      UUID requestId,
      UUID tenantId,
      UUID apiKeyId,
      int reservedTokens,
      long reservedUnits,
      RateLimitStatus limits) {
    this(requestId, tenantId, apiKeyId, reservedTokens, reservedUnits, limits, 1);
  }
}
