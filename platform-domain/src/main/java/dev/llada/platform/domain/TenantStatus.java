package dev.llada.platform.domain;

import java.time.Instant;

/**
 * Where a tenant is in its life (docs/adr/0007): ACTIVE calls models; SUSPENDED is refused at
 * authentication and admission while admitted work finishes; DELETED is a tombstone, the end.
 */
public enum TenantStatus {
  ACTIVE,
  SUSPENDED,
  DELETED;

  /** A status an administrator may set (deletion has its own endpoint); 400 otherwise. */
  public static TenantStatus settable(String status) {
    if ("ACTIVE".equals(status)) {
      return ACTIVE;
    }
    if ("SUSPENDED".equals(status)) {
      return SUSPENDED;
    }
    throw new InvalidRequestException("status", "status must be ACTIVE or SUSPENDED");
  }

  /** Refuses a change to a deleted tenant: 409 {@code tenant_deleted}. */
  public void requireChangeable(String slug, Instant deletedAt) {
    if (this == DELETED) {
      throw new ConflictException(
          "tenant_deleted", "tenant", "Tenant '" + slug + "' was deleted on " + deletedAt + ".");
    }
  }
}
