package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.BatchStore;
import dev.llada.platform.application.BatchStore.Attempt;
import dev.llada.platform.application.BatchStore.End;
import dev.llada.platform.application.BatchStore.Settlement;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.LeaderLease;
import dev.llada.platform.application.LiveRequests;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.domain.PlatformException;
import dev.llada.platform.domain.QuotaExceededException;
import dev.llada.platform.domain.ServiceUnavailableException;
import dev.llada.platform.interfaces.rest.OpenAiObjects.Kind;
import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Runs the requests of the batches (docs/adr/0020) on this JVM, as the endpoints would run them
 * ({@link CompletionRequest}): each turn renews the leases of its running items, stops those whose
 * batch is being cancelled, and leases new ones up to {@code llada.batches.concurrency}. An item
 * runs as its batch's creator, checked again as it starts (a revoked key fails the rest), under its
 * tenant's limits. Its end is written with its settlement ({@link BatchStore#finish}); a refusal a
 * later attempt may not meet (a rate limit, a full queue, a node shutting down) gives the item back
 * with nothing charged, to run again after the refusal's Retry-After.
 */
@ApplicationScoped
public class BatchRequests {

  private static final Logger LOG = Logger.getLogger(BatchRequests.class.getName());

  @Inject BatchStore store;
  @Inject InferenceService inference;
  @Inject BatchAdmission admission;
  @Inject LiveRequests requests;
  @Inject LeaderLease lease;

  /** How many batch requests this JVM runs at once. */
  @Inject
  @ConfigProperty(name = "llada.batches.concurrency", defaultValue = "4")
  int concurrency;

  /** How long an item's lease lasts; renewed every turn, so a dead JVM's items return this soon. */
  @Inject
  @ConfigProperty(name = "llada.batches.lease-seconds", defaultValue = "30")
  long leaseSeconds;

  /** Where a finished item's place is leased again (null outside the container). */
  @jakarta.annotation.Resource jakarta.enterprise.concurrent.ManagedExecutorService executor;

  private final Map<UUID, Attempt> running = new ConcurrentHashMap<>();

  /** Running attempts this JVM stopped because their batch is ending: "cancelled" or "expired". */
  private final Map<UUID, String> stoppedAs = new ConcurrentHashMap<>();

  private volatile boolean stopped;

  /** One turn (see the class comment). */
  public void tick() {
    if (stopped) {
      return;
    }
    Duration itemLease = Duration.ofSeconds(Math.max(1, leaseSeconds));
    if (!running.isEmpty()) {
      store.renew(lease.holder(), running.keySet(), itemLease);
      Map<String, String> stopping =
          store.stopping(
              running.values().stream().map(Attempt::batchId).collect(Collectors.toSet()));
      for (Attempt a : running.values()) {
        String why = stopping.get(a.batchId());
        // sent each turn until it reaches the request: one still being admitted is not live yet
        if (why != null
            && !stoppedAs.containsKey(a.requestId())
            && !requests.cancel(a.tenantId(), a.requestId().toString()).isEmpty()) {
          stoppedAs.put(a.requestId(), why);
          if (!running.containsKey(a.requestId())) {
            stoppedAs.remove(a.requestId()); // it ended meanwhile
          }
        }
      }
    }
    fill();
  }

  /** Leases items up to the concurrency: each turn, and as soon as a running one ends. */
  private synchronized void fill() {
    int free = concurrency - running.size();
    if (stopped || free < 1) {
      return;
    }
    Duration itemLease = Duration.ofSeconds(Math.max(1, leaseSeconds));
    for (Attempt a : store.lease(lease.holder(), free, itemLease)) {
      start(a);
    }
  }

  /** After an item ended: its place is taken at once, off the thread that settled it. */
  private void refill() {
    if (stopped || executor == null) {
      return;
    }
    try {
      executor.execute(
          () -> {
            try {
              fill();
            } catch (RuntimeException e) {
              LOG.log(Level.FINE, "could not lease batch requests; the next turn will", e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the node is going away: the next turn (if any) leases
    }
  }

  /** Takes no more items; those running finish or are stopped by the worker's drain. */
  public void stop() {
    stopped = true;
  }

  /** How many of this JVM's batch requests run now. */
  public int running() {
    return running.size();
  }

  private void start(Attempt a) {
    running.put(a.requestId(), a);
    try {
      run(a)
          .whenComplete(
              (answer, error) -> {
                running.remove(a.requestId());
                stoppedAs.remove(a.requestId());
                refill();
              });
    } catch (RuntimeException e) { // refused before it was dispatched: nothing was reserved
      running.remove(a.requestId());
      stoppedAs.remove(a.requestId());
      try {
        ended(a, null, e, null);
      } catch (RuntimeException f) {
        LOG.log(
            Level.WARNING, "could not end batch request " + a.requestId() + "; its lease ends", f);
      }
    }
  }

  private java.util.concurrent.CompletableFuture<JsonObject> run(Attempt a) {
    BatchAdmission.Admitted admitted = admission.admit(a);
    CompletionRequest request = admitted.request();
    Reservation reservation = admitted.reservation();
    Kind kind = request.kind();
    String id = kind.idPrefix + a.requestId().toString().replace("-", "");
    long created = Instant.now().getEpochSecond();
    int promptTokens = request.prepared().promptIds().length;
    return inference.generateAsync(
        reservation,
        request.prepared(),
        e -> {},
        () -> false,
        r -> request.answer(id, created, r),
        (r, outcome, tokens, units, answer, refusal) ->
            inference.settle(
                r,
                outcome,
                () ->
                    ended(
                        a,
                        answer == null
                            ? null
                            : End.succeeded(answer.toString(), promptTokens, tokens),
                        refusal,
                        new Settlement(r, outcome, tokens, units))));
  }

  /**
   * Writes how the attempt ended: its answer, or its refusal as the endpoint would have answered
   * it, or — for a refusal a later attempt may not meet — the item given back uncharged. An attempt
   * stopped because its batch is being cancelled or expired ends {@code cancelled} or {@code
   * expired}, charged the steps it ran. False when the end was not kept (see {@link
   * BatchStore#finish}).
   */
  private boolean ended(Attempt a, End answered, RuntimeException refusal, Settlement s) {
    if (answered != null) {
      return store.finish(a, answered, s, unpaid(a));
    }
    String stopped = stoppedAs.get(a.requestId());
    boolean ran = s != null && s.units() > 0;
    long retryAfter = stopped != null ? 0 : retryAfter(refusal, a.attempt(), ran);
    if (retryAfter > 0) {
      return store.release(
          a,
          Duration.ofSeconds(retryAfter),
          s == null ? null : new Settlement(s.reservation(), s.outcome(), 0, 0));
    }
    int status;
    ErrorEnvelope body;
    if (stopped != null && refusal instanceof PlatformException e) { // the batch stopped it
      status = e.status();
      body =
          ErrorEnvelope.of(
              status,
              "batch_" + stopped,
              null,
              "This request was stopped when the batch "
                  + (stopped.equals("cancelled") ? "was cancelled" : "expired")
                  + (ran ? "; the steps it ran are charged." : ", before it ran."));
    } else if (refusal instanceof PlatformException e) {
      status = e.status();
      body = ErrorEnvelope.of(status, e.code(), e.param(), e.getMessage());
    } else if (refusal instanceof jakarta.json.JsonException) {
      status = 400;
      body = ErrorEnvelope.of(400, "invalid_json", "body", "The request body is not valid JSON.");
    } else {
      LOG.log(Level.SEVERE, "batch request " + a.requestId() + " failed", refusal);
      status = 500;
      body = ErrorEnvelope.internalError(500);
    }
    End end =
        stopped != null
            ? End.stopped(stopped, status, body.toJson())
            : End.failed(status, body.toJson());
    return store.finish(a, end, s, unpaid(a));
  }

  /**
   * How an item ends whose answer came after its reservation was settled (the reservation's lease,
   * {@code llada.reservations.lease-seconds}, shorter than the request took): on its {@link
   * #ATTEMPTS}th lease or later, a 503 in the error file rather than running it until the batch
   * expires; before that, null (it runs again).
   */
  private static End unpaid(Attempt a) {
    if (a.attempt() < ATTEMPTS) {
      return null;
    }
    return End.failed(
        503,
        ErrorEnvelope.of(
                503,
                "reservation_expired",
                null,
                "This request ran longer than its reservation's lease "
                    + a.attempt()
                    + " times; nothing was charged. Ask the operator to lengthen"
                    + " LLADA_RESERVATIONS_LEASE_SECONDS.")
            .toJson());
  }

  /**
   * Seconds to wait before the item runs again; 0 when the refusal is final. A rate limit, a full
   * queue or a node shutting down say when to retry; a timeout after steps ran is final (they are
   * charged), one before any ran (the queue was long) is tried again; any other failure of the
   * platform's own (a 5xx) is tried {@link #ATTEMPTS} times before it is the item's answer.
   *
   * @param ran whether the attempt ran any step (it computed something)
   */
  static long retryAfter(RuntimeException refusal, int attempt, boolean ran) {
    if (refusal instanceof ServiceUnavailableException e && "timeout".equals(e.code())) {
      return ran ? 0 : 5L * attempt; // it ran to the platform's deadline: again it would too
    }
    if (refusal instanceof QuotaExceededException e) {
      return Math.max(1, e.retryAfterSeconds());
    }
    if (refusal instanceof ServiceUnavailableException e && e.retryAfterSeconds() > 0) {
      return e.retryAfterSeconds();
    }
    boolean platformFault = !(refusal instanceof PlatformException e) || e.status() >= 500;
    if (platformFault && !(refusal instanceof jakarta.json.JsonException) && attempt < ATTEMPTS) {
      return 5L * attempt;
    }
    return 0;
  }

  /** How often a platform fault is tried before it is a request's answer. */
  static final int ATTEMPTS = 3;
}
