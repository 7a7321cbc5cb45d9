package dev.llada.platform.application;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Port: the append-only record of management mutations (issue #17 item 4). */
public interface AuditLog {

  /**
   * One mutation.
   *
   * @param id its position in the log (ascending)
   * @param at when it took effect
   * @param actor who: "master", "user:name", or an API key's prefix
   * @param actorTenantId the actor's tenant, null for the platform's callers
   * @param tenantId the tenant it concerns, null for platform-wide resources
   * @param action the endpoint, e.g. "PATCH /v1/admin/tenants/{slug}"
   * @param target what it acted on, e.g. "tenant acme"
   * @param before the state before (JSON, secrets redacted), null when there was none or unknown
   * @param after the state after, as answered (JSON, secrets redacted)
   * @param status the HTTP status answered
   * @param requestId the request's id ({@code X-Request-Id})
   */
  record Entry(
      long id,
      Instant at,
      String actor,
      UUID actorTenantId,
      UUID tenantId,
      String action,
      String target,
      String before,
      String after,
      int status,
      UUID requestId) {}

  /**
   * What to list: every filter optional (null); entries after {@code afterId}, oldest first.
   *
   * @param tenantId only this tenant's entries
   * @param actor only this actor's
   * @param action only entries whose action contains this text
   * @param since only entries at or after
   * @param until only entries before
   * @param afterId the paging cursor: entries with a larger id
   * @param limit at most this many (1-500)
   */
  record Query(
      UUID tenantId,
      String actor,
      String action,
      Instant since,
      Instant until,
      Long afterId,
      int limit) {}

  /** Appends one entry; a failure is logged, never the request's. */
  void record(Entry entry);

  List<Entry> list(Query query);
}
