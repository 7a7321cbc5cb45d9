package dev.llada.platform.application;

import java.util.Optional;
import java.util.UUID;

/**
 * Port: responses kept for {@code Idempotency-Key} (24 h), so that a retried POST gets the first
 * answer instead of running (and costing) twice.
 */
public interface IdempotencyStore {

  /** A kept response. {@code status} 0 means the first request is still running. */
  record Kept(String requestHash, int status, String body) {}

  /**
   * Claims {@code key} for a request with {@code requestHash}; empty if it was free (the caller now
   * runs the request), otherwise what is kept under it.
   */
  Optional<Kept> claim(UUID tenantId, String key, String requestHash);

  /** Keeps the response of a claimed key. */
  void complete(UUID tenantId, String key, int status, String body);

  /** Frees a claimed key whose request failed in a way worth retrying. */
  void release(UUID tenantId, String key);

  /** Deletes what has expired (older than 24 h), for every tenant; returns how many. */
  int purgeExpired();

  /** Deletes everything kept for one tenant (its deletion); returns how many. */
  int purgeTenant(UUID tenantId);
}
