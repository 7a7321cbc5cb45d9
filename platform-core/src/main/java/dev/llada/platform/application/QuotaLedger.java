package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.QuotaExceededException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Collection;
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
   * RESERVE entry, raises the counters and gives the reservation a lease that ends after {@code
   * lease} (the sweeper settles it as {@link Outcome#EXPIRED} past that, see {@link #expire}).
   */
  Reservation reserve(
      UUID requestId,
      Caller caller,
      String model,
      String endpoint,
      int promptTokens,
      int maxCompletionTokens,
      long computeUnits,
      Duration lease);

  /**
   * Writes the SETTLE entry, moves the counters from reserved to actual and ends the lease;
   * idempotent: false when the reservation was settled already (by an earlier call, or by {@link
   * #expire} when its lease ran out first).
   */
  boolean settle(Reservation reservation, Outcome outcome, int completionTokens, long computeUnits);

  /** The usage a running request has had so far: what an expired reservation settles with. */
  record Progress(UUID requestId, int completionTokens, long computeUnits) {}

  /** Records the progress of running requests into their leases (those still open). */
  void progress(Collection<Progress> known);

  /** Open reservations across the platform: leases still held, and leases ended but not settled. */
  record Leases(long held, long overdue) {}

  /** How many reservations are open now (for the metrics). */
  Leases leases();

  /**
   * Settles every reservation whose lease has ended (its JVM died mid-request) as EXPIRED with the
   * usage its lease last recorded, oldest first, at most {@code limit}; {@code tenantId} null for
   * every tenant. Returns how many.
   */
  int expire(UUID tenantId, int limit);

  /** Counters that disagree with the ledger for one tenant (empty when all agree). */
  List<Drift> drift(UUID tenantId);

  /**
   * Rebuilds one tenant's counters from the ledger, after settling its expired reservations;
   * returns what was wrong before.
   */
  List<Drift> reconcile(UUID tenantId);

  /**
   * Deletes counter windows no admission can ask about any more (a day of minutes, a week of days,
   * a year of months are kept); the ledger keeps the history. Returns how many.
   */
  int purgeCounterWindows();

  /** Usage by day, tenant, model and key; {@code tenantId} null for every tenant. */
  List<UsageRow> usage(UUID tenantId, LocalDate from, LocalDate to);
}
