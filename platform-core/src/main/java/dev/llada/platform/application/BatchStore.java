package dev.llada.platform.application;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Port: the batches and their items, a durable queue (docs/adr/0020). Items are leased by one JVM
 * at a time, for a while it renews; an item whose lease ran out (its JVM died) is leased again,
 * under a new request id. An item's end and the settlement of the attempt that produced it are
 * written in one transaction ({@link #finish}), so that an item has one result and one charge
 * however often it ran.
 */
public interface BatchStore {

  /** One line of an input file, checked. */
  record NewItem(int line, String customId, String body) {}

  /** Stores a new batch and its items (none when it failed validation). */
  void create(Batch batch, Items items);

  /** A batch's requests, given one by one to the store as it writes them. */
  @FunctionalInterface
  interface Items {
    /** No requests: a batch that failed its checks. */
    Items NONE = sink -> {};

    void forEach(java.util.function.Consumer<NewItem> sink) throws java.io.IOException;
  }

  /** The tenant's batch {@code id}. */
  Optional<Batch> find(UUID tenantId, String id);

  /** The tenant's batches newest first, those after {@code after} (from the start when null). */
  List<Batch> list(UUID tenantId, String after, int limit);

  /**
   * Moves the tenant's batch to {@code cancelling} (from validating or in_progress) and its items
   * that have not started to {@code cancelled}; a batch past that is returned as it is.
   */
  Optional<Batch> cancel(UUID tenantId, String id);

  /** An item leased to run: its batch's facts and its line, under a fresh request id. */
  record Attempt(
      String batchId,
      UUID tenantId,
      UUID apiKeyId,
      String actor,
      String scopes,
      String endpoint,
      int line,
      String customId,
      String body,
      UUID requestId,
      int attempt) {}

  /**
   * Leases up to {@code n} runnable items (pending and due, or running with an ended lease) of
   * batches in progress to {@code holder} for {@code lease}, oldest batch and line first.
   */
  List<Attempt> lease(String holder, int n, Duration lease);

  /**
   * Extends the leases {@code holder} holds on the running attempts {@code requestIds}; how many.
   * An attempt not named (one whose end could not be written) keeps its lease until it ends, so its
   * item returns to the queue.
   */
  int renew(String holder, Collection<UUID> requestIds, Duration lease);

  /** How an attempt ended for its item: an answer or a refusal, as the endpoint would answer. */
  record End(
      String state, int statusCode, String response, int promptTokens, int completionTokens) {

    public static End succeeded(String response, int promptTokens, int completionTokens) {
      return new End("succeeded", 200, response, promptTokens, completionTokens);
    }

    public static End failed(int statusCode, String errorBody) {
      return new End("failed", statusCode, errorBody, 0, 0);
    }

    /** Stopped while it ran because its batch was being cancelled or expired ({@code state}). */
    public static End stopped(String state, int statusCode, String errorBody) {
      if (!state.equals("cancelled") && !state.equals("expired")) {
        throw new IllegalArgumentException("not a stopped state: " + state);
      }
      return new End(state, statusCode, errorBody, 0, 0);
    }
  }

  /** The settlement of an attempt's reservation, written with the item's end. */
  record Settlement(Reservation reservation, Outcome outcome, int completionTokens, long units) {}

  /**
   * Ends the attempt: its item takes {@code end} and its reservation (if it made one) is settled
   * with {@code settlement}, in one transaction. When the item is no longer this attempt's (its
   * lease ran out and another attempt took it), the item is left alone and the reservation is
   * settled EXPIRED with nothing charged (its answer is not the item's). When the reservation was
   * settled already (its lease expired first, uncharged), the end is not kept either: an answer is
   * kept only with its charge, and the item goes back to the queue to run again — or, when {@code
   * unpaid} is given, ends with that instead (an item whose attempts keep outliving their
   * reservations). True when {@code end} was kept.
   */
  boolean finish(Attempt attempt, End end, Settlement settlement, End unpaid);

  /**
   * Gives the item back to the queue, to be leased again {@code delay} from now (the database's
   * clock, as every lease) (a refusal that a later attempt may not meet: a rate limit, a busy or
   * stopping platform); its reservation, if it made one, is settled with nothing charged, in the
   * same transaction. False when the item was no longer this attempt's.
   */
  boolean release(Attempt attempt, Duration delay, Settlement uncharged);

  /**
   * Of {@code batchIds}, those being cancelled or gone ("cancelled") or past their expiry
   * ("expired"): their running items stop, and end so.
   */
  java.util.Map<String, String> stopping(Collection<String> batchIds);

  /**
   * Expires the items that have not started of batches past their expiry; how many batches it
   * touched.
   */
  int expireDue();

  /**
   * Batches whose items have all ended and that still wait for their output: in progress (to be
   * completed, or expired past their expiry), cancelling, or finalizing.
   */
  List<Batch> toFinalize(int limit);

  /** Moves a batch in progress to {@code finalizing}; false when it is not in progress any more. */
  boolean finalizing(String batchId);

  /** An item as it ended, for the output and error files. */
  record Ended(
      int line,
      String customId,
      String state,
      UUID requestId,
      Integer statusCode,
      String response) {}

  /** The items of a batch in line order, from line {@code fromLine} on, at most {@code limit}. */
  List<Ended> ended(String batchId, int fromLine, int limit);

  /**
   * Ends a batch with its final status ({@code completed}, {@code expired} or {@code cancelled})
   * and its files (null when it has none); false when it had ended already.
   */
  boolean close(String batchId, String status, String outputFileId, String errorFileId);

  /** Deletes every batch of a deleted tenant; how many. */
  int purgeTenant(UUID tenantId);
}
