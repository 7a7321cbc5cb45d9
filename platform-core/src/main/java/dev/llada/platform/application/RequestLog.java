package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import java.util.UUID;

/** Port: every API request, with its metadata, usage and latency (bodies only on opt-in). */
public interface RequestLog {

  /** Records a request when its response leaves (for a stream: when its headers leave). */
  void record(
      UUID requestId,
      Caller caller,
      String method,
      String path,
      String model,
      int status,
      String errorCode,
      int promptTokens,
      int completionTokens,
      long computeUnits,
      long latencyMillis,
      String requestBody,
      String responseBody);

  /** Completes the record of a stream once its last byte is written (or the client left). */
  void complete(
      UUID requestId, int status, int completionTokens, long computeUnits, long latencyMillis);

  /** Deletes the records older than {@code days} days (retention); returns how many. */
  int purgeOlderThan(int days);

  /** Deletes every record of one tenant (its deletion); returns how many. */
  int purgeTenant(UUID tenantId);
}
