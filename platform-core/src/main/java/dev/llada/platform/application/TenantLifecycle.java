package dev.llada.platform.application;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tenant's export and deletion (docs/adr/0007). Each table's owner does its part: tenancy turns
 * the tenant into a tombstone (keys revoked, users and entitlements removed), the registry drops
 * its aliases, the request log and the idempotency store their records, the file store its files.
 * The usage ledger and its counters stay: they are the financial record, and the export still shows
 * them afterwards.
 */
@ApplicationScoped
public class TenantLifecycle {

  @Inject Tenancy tenancy;
  @Inject ModelAdmin models;
  @Inject QuotaLedger ledger;
  @Inject RequestLog requestLog;
  @Inject IdempotencyStore idempotency;
  @Inject FileStore files;
  @Inject BatchStore batches;

  /** Everything the platform keeps about a tenant, secrets excepted, in one document. */
  public Map<String, Object> export(String slug) {
    TenantView t = tenancy.tenant(slug);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", "tenant.export");
    out.put("tenant", t);
    out.put("users", tenancy.users(slug));
    out.put("keys", tenancy.keys(slug));
    out.put("aliases", models.tenantAliases(t.slug()));
    LocalDate from = t.createdAt().atZone(ZoneOffset.UTC).toLocalDate();
    List<UsageRow> usage = ledger.usage(t.id(), from, LocalDate.now(ZoneOffset.UTC));
    out.put("usage", usage);
    out.put("files", files.list(t.id(), null, null, Integer.MAX_VALUE, false)); // their metadata
    return out;
  }

  /** Deletes the tenant as ADR 0007 says; deleting a deleted tenant changes nothing. */
  public TenantView delete(String slug) {
    TenantView t = tenancy.deleteTenant(slug);
    purge(t.id());
    return t;
  }

  /**
   * Removes again what other owners keep for every deleted tenant: a request that was in flight
   * when its tenant was deleted writes its log record and idempotent response after the deletion,
   * and a deletion interrupted half-way left the rest. The retention sweeper calls this each run.
   */
  public int finishDeletions() {
    int removed = 0;
    for (java.util.UUID id : tenancy.deletedTenants()) {
      removed += purge(id);
    }
    return removed;
  }

  private int purge(java.util.UUID tenantId) {
    return models.deleteTenantAliases(tenantId)
        + requestLog.purgeTenant(tenantId)
        + idempotency.purgeTenant(tenantId)
        + batches.purgeTenant(tenantId) // before the files: a batch names its files
        + files.purgeTenant(tenantId);
  }
}
