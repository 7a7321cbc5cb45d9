package dev.llada.platform.application;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Port: responses kept for {@code Idempotency-Key} (24 h), so that a retried POST gets the first
 * answer instead of running (and costing) twice. Keys belong to an owner ({@link #owner}): a
 * tenant, or one of the platform's own callers.
 */
public interface IdempotencyStore {

  /** A kept response. {@code status} 0 means the first request is still running. */
  record Kept(String requestHash, int status, String body) {}

  /** The owner of a tenant's keys, or of a platform caller's ({@code tenantId} null). */
  static String owner(UUID tenantId, String platformCaller) {
    return tenantId != null ? "tenant:" + tenantId : "platform:" + platformCaller;
  }

  /**
   * Claims {@code key} for a request with {@code requestHash}, for {@code hold} (after which a
   * request that died no longer blocks its retries); empty if it was free or its claim had expired
   * (the caller now runs the request), otherwise what is kept under it.
   */
  Optional<Kept> claim(String owner, UUID tenantId, String key, String requestHash, Duration hold);

  /** Keeps the final response of a claimed key. */
  void complete(String owner, String key, int status, String body);

  /** Frees a claimed key whose answer is not final (a conflict, a rate limit, a server error). */
  void release(String owner, String key);

  /** Deletes what has expired (older than 24 h), for every owner; returns how many. */
  int purgeExpired();

  /** Deletes everything kept for one tenant (its deletion); returns how many. */
  int purgeTenant(UUID tenantId);
}
