package dev.llada.platform.application;

import java.time.Instant;
import java.util.UUID;

/**
 * A tenant's batch ({@code /v1/batches}, OpenAI's Batch API; docs/adr/0020): the requests of one
 * input file, run asynchronously, their answers in an output file and their failures in an error
 * file. {@code metadata} and {@code errors} are JSON text (null when there are none).
 *
 * @param actor who created it (a key's prefix or a user's label): the items run as this caller
 * @param scopes the creator's scopes, as {@code Scope.format} writes them
 */
public record Batch(
    String id,
    UUID tenantId,
    UUID apiKeyId,
    String actor,
    String scopes,
    String endpoint,
    String inputFileId,
    String completionWindow,
    String status,
    String metadata,
    String errors,
    String outputFileId,
    String errorFileId,
    Times times,
    Counts counts) {

  /** The statuses of OpenAI's Batch API, in the order a batch may pass them. */
  public static final java.util.List<String> STATUSES =
      java.util.List.of(
          "validating",
          "failed",
          "in_progress",
          "finalizing",
          "completed",
          "expired",
          "cancelling",
          "cancelled");

  /** When it reached each status (null for those it has not reached). */
  public record Times(
      Instant createdAt,
      Instant inProgressAt,
      Instant expiresAt,
      Instant finalizingAt,
      Instant completedAt,
      Instant failedAt,
      Instant expiredAt,
      Instant cancellingAt,
      Instant cancelledAt) {}

  /**
   * Its requests: how many, how many answered (2xx) and how many failed (refused, cancelled or
   * expired), and the tokens the answered ones used.
   */
  public record Counts(
      int total, int completed, int failed, long promptTokens, long completionTokens) {}

  /** Whether it has ended: nothing of it runs any more. */
  public boolean ended() {
    return switch (status) {
      case "failed", "completed", "expired", "cancelled" -> true;
      default -> false;
    };
  }
}
