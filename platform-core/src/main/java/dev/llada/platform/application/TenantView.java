package dev.llada.platform.application;

import dev.llada.platform.domain.Limits;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A tenant as the administration API shows it. */
public record TenantView(
    UUID id,
    String slug,
    String displayName,
    String status,
    Limits limits,
    Limits limitCeilings,
    boolean storeBodies,
    int queueWeight,
    List<String> entitlements,
    Instant createdAt,
    Instant deletedAt) {

  /** Whether the tenant is a tombstone (docs/adr/0007). */
  public boolean deleted() {
    return "DELETED".equals(status);
  }
}
