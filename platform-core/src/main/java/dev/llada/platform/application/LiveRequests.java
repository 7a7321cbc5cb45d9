package dev.llada.platform.application;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The admitted requests of this JVM, from reservation to settlement: what {@code POST
 * /v1/requests/{id}/cancel} stops (ARCHITECTURE.md, "Cancellation") and whose progress the lease
 * keeper writes into the reservations' leases, so that a request whose JVM dies is settled with the
 * usage last known (QuotaLedger#expire).
 */
@ApplicationScoped
public class LiveRequests {

  /** One admitted request. Its counters are written by the inference thread, read by others. */
  public static final class Live {
    private final Reservation reservation;
    private final String clientRequestId;
    private final java.time.Duration timeout;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicInteger completionTokens = new AtomicInteger();
    private final AtomicLong computeUnits = new AtomicLong();
    private final AtomicBoolean changed = new AtomicBoolean();
    private volatile boolean unbilledOnExpiry;

    Live(Reservation reservation, String clientRequestId, java.time.Duration timeout) {
      this.reservation = reservation;
      this.clientRequestId = clientRequestId;
      this.timeout = timeout;
    }

    /** The request's own deadline ({@code X-Request-Timeout}), if it asked for one. */
    public java.util.Optional<java.time.Duration> timeout() {
      return java.util.Optional.ofNullable(timeout);
    }

    public Reservation reservation() {
      return reservation;
    }

    /** True once the request was cancelled through the API: it stops at its next step. */
    public boolean cancelled() {
      return cancelled.get();
    }

    /** What ran so far (committed tokens, computed query positions); for the lease. */
    public void progress(int completionTokens, long computeUnits) {
      this.completionTokens.set(completionTokens);
      this.computeUnits.set(computeUnits);
      changed.set(true);
    }

    boolean matches(UUID tenantId, String id) {
      return (tenantId == null || tenantId.equals(reservation.tenantId()))
          && (id.equals(reservation.requestId().toString()) || id.equals(clientRequestId));
    }
  }

  private final Map<UUID, Live> live = new ConcurrentHashMap<>();

  @Inject QuotaLedger ledger;

  /**
   * Registers an admitted request under its platform id and the client's own id ({@code
   * X-Client-Request-Id}, may be null).
   */
  public Live open(Reservation reservation, String clientRequestId) {
    return open(reservation, clientRequestId, null);
  }

  /** As {@link #open(Reservation, String)}, with the request's own deadline (null: none). */
  public Live open(Reservation reservation, String clientRequestId, java.time.Duration timeout) {
    Live l = new Live(reservation, clientRequestId, timeout);
    live.put(reservation.requestId(), l);
    return l;
  }

  /** The request admitted under {@code requestId}; a new, unregistered one if it is not live. */
  public Live of(Reservation reservation) {
    Live l = live.get(reservation.requestId());
    return l != null ? l : new Live(reservation, null, null);
  }

  /**
   * Keeps the progress of {@code requestId} out of its lease: a batch item's attempt, which pays
   * nothing if its JVM dies (the item runs again and that attempt pays).
   */
  public void unbilledOnExpiry(UUID requestId) {
    Live l = live.get(requestId);
    if (l != null) {
      l.unbilledOnExpiry = true;
      l.changed.set(false);
    }
  }

  /** Forgets a request once it is settled. */
  public void close(UUID requestId) {
    live.remove(requestId);
  }

  /**
   * Flags for cancellation every live request of {@code tenantId} (null: of any tenant, for the
   * master key) whose platform id or client id is {@code id}; returns their platform ids.
   */
  public List<UUID> cancel(UUID tenantId, String id) {
    List<UUID> hit = new ArrayList<>();
    for (Live l : live.values()) {
      if (l.matches(tenantId, id)) {
        l.cancelled.set(true);
        hit.add(l.reservation.requestId());
      }
    }
    return hit;
  }

  /**
   * Writes the progress of the requests that moved since the last call into their leases (every few
   * seconds, off the inference path); a failure is left for the next call.
   */
  public void recordProgress() {
    List<QuotaLedger.Progress> moved = changed();
    try {
      ledger.progress(moved);
    } catch (RuntimeException e) {
      for (QuotaLedger.Progress p : moved) { // try again next time
        Live l = live.get(p.requestId());
        if (l != null) {
          l.changed.set(true);
        }
      }
      throw e;
    }
  }

  /** The progress of every request that moved since the last call, for the leases. */
  List<QuotaLedger.Progress> changed() {
    List<QuotaLedger.Progress> out = new ArrayList<>();
    for (Live l : live.values()) {
      if (l.changed.getAndSet(false) && !l.unbilledOnExpiry) {
        out.add(
            new QuotaLedger.Progress(
                l.reservation.requestId(), l.completionTokens.get(), l.computeUnits.get()));
      }
    }
    return out;
  }

  /** The requests admitted and not yet settled on this JVM. */
  public Collection<Live> all() {
    return List.copyOf(live.values());
  }
}
