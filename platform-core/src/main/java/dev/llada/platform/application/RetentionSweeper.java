package dev.llada.platform.application;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Retention: deletes idempotent responses past their 24 hours, request-log records past {@code
 * llada.retention.request-log-days} (30 by default) and quota counter windows that no admission
 * asks about any more (a day of minutes, a week of days, a year of months); and settles the
 * reservations whose lease ended (their JVM died mid-request) as EXPIRED. It runs on one JVM at a
 * time across all platform replicas: a sweep happens only while this JVM holds the sweeper's lease,
 * taken or renewed for two sweep periods at each sweep, so the holder keeps it while it lives and
 * another takes over within two periods once it is gone. The usage ledger is never swept: it is the
 * financial record.
 */
@ApplicationScoped
public class RetentionSweeper {

  private static final Logger LOG = Logger.getLogger(RetentionSweeper.class.getName());

  /** The lease of the sweeper. */
  public static final String LEASE = "retention-sweeper";

  @Inject LeaderLease lease;

  /** Whether this JVM held the lease at its last attempt (to log changes of hands only). */
  private volatile boolean leading;

  /** Set when this JVM steps down: no sweep takes the lease afterwards. */
  private volatile boolean stopping;

  @Inject IdempotencyStore idempotency;
  @Inject RequestLog requestLog;
  @Inject QuotaLedger ledger;

  /** Counts the reservations it settles as EXPIRED in {@code llada_requests_total}. */
  @Inject RequestMetrics metrics = RequestMetrics.NONE;

  @Inject TenantLifecycle lifecycle;

  @Inject
  @ConfigProperty(name = "llada.retention.request-log-days", defaultValue = "30")
  int requestLogDays;

  @Inject
  @ConfigProperty(name = "llada.retention.sweep-seconds", defaultValue = "60")
  long sweepSeconds;

  /** What one sweep deleted (-1 for a part that failed; the others still ran). */
  public record Swept(
      int idempotentResponses,
      int requestLogRecords,
      int counterWindows,
      int ofDeletedTenants,
      int expiredReservations) {}

  /** Expired reservations settled per sweep at most (the rest wait for the next one). */
  static final int EXPIRE_PER_SWEEP = 100;

  /** How often a sweep is attempted (at least every second). */
  public Duration period() {
    return Duration.ofSeconds(Math.max(1, sweepSeconds));
  }

  /** One sweep if this JVM holds the sweeper's lease; empty when another JVM does. */
  public Optional<Swept> sweepIfLeader() {
    if (requestLogDays < 1) {
      throw new IllegalStateException(
          "llada.retention.request-log-days must be at least 1, got " + requestLogDays);
    }
    boolean held;
    synchronized (this) { // against stepDown: no sweep takes the lease again once it released it
      if (stopping) {
        return Optional.empty();
      }
      held = lease.hold(LEASE, period().multipliedBy(2));
    }
    if (held != leading) {
      leading = held;
      // one line per change of hands, so an operator sees which JVM sweeps
      LOG.info(
          () ->
              held
                  ? "retention: " + lease.holder() + " now sweeps (lease '" + LEASE + "')"
                  : "retention: "
                      + lease.holder()
                      + " no longer sweeps; another JVM holds '"
                      + LEASE
                      + "'");
    }
    if (!held) {
      return Optional.empty();
    }
    Swept swept =
        new Swept(
            part("idempotent responses", idempotency::purgeExpired),
            part("request log", () -> requestLog.purgeOlderThan(requestLogDays)),
            part("counter windows", ledger::purgeCounterWindows),
            part("deleted tenants", lifecycle::finishDeletions),
            part("expired reservations", this::expire));
    if (swept.idempotentResponses()
            + swept.requestLogRecords()
            + swept.counterWindows()
            + swept.ofDeletedTenants()
            + swept.expiredReservations()
        != 0) {
      LOG.info(() -> "retention: deleted " + swept);
    }
    return Optional.of(swept);
  }

  /** Gives the sweeper's lease up (this JVM is stopping), so another JVM sweeps at once. */
  public synchronized void stepDown() {
    stopping = true;
    boolean released = lease.release(LEASE);
    if (leading && released) {
      leading = false;
      LOG.info(() -> "retention: " + lease.holder() + " stepped down");
    }
  }

  /** One part of a sweep; a failure is logged and leaves the other parts to run. */
  /** Settles ended leases as EXPIRED (their JVM died), counting each as a request that ended. */
  private int expire() {
    int n = ledger.expire(null, EXPIRE_PER_SWEEP);
    for (int i = 0; i < n; i++) {
      metrics.settled(Outcome.EXPIRED);
    }
    return n;
  }

  private static int part(String what, java.util.function.IntSupplier purge) {
    try {
      return purge.getAsInt();
    } catch (RuntimeException e) {
      LOG.log(java.util.logging.Level.WARNING, "retention: sweeping " + what + " failed", e);
      return -1;
    }
  }
}
