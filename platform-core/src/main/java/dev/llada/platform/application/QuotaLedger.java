package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.QuotaExceededException;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * Port: quotas and the append-only usage ledger. Reserve before dispatch, settle on every exit
 * path; both run in their own short transaction that locks the tenant row, so concurrent requests
 * of one tenant are admitted one at a time and can never overshoot a limit. Fails closed: when the
 * ledger cannot be written, nothing is dispatched.
 */
public interface QuotaLedger {

  /**
   * Admits a request or refuses it with {@link QuotaExceededException}; on admission writes the
   * RESERVE entry and raises the counters.
   */
  Reservation reserve(
      UUID requestId,
      Caller caller,
      String model,
      String endpoint,
      int promptTokens,
      int maxCompletionTokens,
      long computeUnits);

  /** Writes the SETTLE entry and moves the counters from reserved to actual; idempotent. */
  void settle(Reservation reservation, Outcome outcome, int completionTokens, long computeUnits);

  /** Counters that disagree with the ledger for one tenant (empty when all agree). */
  List<Drift> drift(UUID tenantId);

  /** Rebuilds one tenant's counters from the ledger; returns what was wrong before. */
  List<Drift> reconcile(UUID tenantId);

  /**
   * Deletes counter windows no admission can ask about any more (a day of minutes, a week of days,
   * a year of months are kept); the ledger keeps the history. Returns how many.
   */
  int purgeCounterWindows();

  /** Usage by day, tenant, model and key; {@code tenantId} null for every tenant. */
  List<UsageRow> usage(UUID tenantId, LocalDate from, LocalDate to);
}
