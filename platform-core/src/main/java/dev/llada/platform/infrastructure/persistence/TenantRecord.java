package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.TenantStatus;
import dev.llada.registry.domain.VariantCode;
import jakarta.persistence.AttributeOverride;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import org.hibernate.annotations.Generated;

/**
 * A tenant as stored (V1, V2, V6), with the variants it is entitled to ({@code
 * tenant_entitlement}). Written only by {@link JpaTenancy}.
 */
@Entity
@Table(name = "tenant")
public class TenantRecord {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  @Column(name = "slug", nullable = false, updatable = false)
  private String slug;

  @Column(name = "display_name", nullable = false)
  private String displayName;

  @Enumerated(EnumType.STRING)
  @Column(name = "status", nullable = false)
  private TenantStatus status = TenantStatus.ACTIVE;

  @Embedded private LimitColumns limits;

  @Embedded
  @AttributeOverride(
      name = "requestsPerMinute",
      column = @Column(name = "ceiling_requests_per_minute"))
  @AttributeOverride(name = "tokensPerDay", column = @Column(name = "ceiling_tokens_per_day"))
  @AttributeOverride(
      name = "computeUnitsPerMonth",
      column = @Column(name = "ceiling_compute_units_per_month"))
  @AttributeOverride(name = "maxConcurrent", column = @Column(name = "ceiling_max_concurrent"))
  private LimitColumns ceilings;

  @Column(name = "store_bodies", nullable = false)
  private boolean storeBodies;

  @Column(name = "queue_weight", nullable = false)
  private int queueWeight = 1;

  @ElementCollection(fetch = FetchType.LAZY) // read where a view is built, not on authentication
  @CollectionTable(name = "tenant_entitlement", joinColumns = @JoinColumn(name = "tenant_id"))
  @Enumerated(EnumType.STRING)
  @Column(name = "variant_code", nullable = false)
  private Set<VariantCode> entitlements = EnumSet.noneOf(VariantCode.class);

  @Generated
  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  /** Set with the database's clock by the deletion's bulk update (a tombstone's date). */
  @Column(name = "deleted_at", insertable = false, updatable = false)
  private Instant deletedAt;

  protected TenantRecord() {}

  public TenantRecord(UUID id, String slug, String displayName, Limits limits) {
    this.id = id;
    this.slug = slug;
    this.displayName = displayName;
    limits(limits);
  }

  public UUID id() {
    return id;
  }

  public String slug() {
    return slug;
  }

  public String displayName() {
    return displayName;
  }

  public TenantStatus status() {
    return status;
  }

  public void status(TenantStatus status) {
    this.status = status;
  }

  public Limits limits() {
    return limits == null ? Limits.NONE : limits.limits(); // all four null reads back as null
  }

  /** The ceilings of the limits a tenant-admin may set (none where null). */
  public Limits ceilings() {
    return ceilings == null ? Limits.NONE : ceilings.limits();
  }

  public void ceilings(Limits l) {
    ceilings = new LimitColumns(l);
  }

  /** Replaces every limit (a null one is no limit); {@link Limits} has checked their ranges. */
  public void limits(Limits l) {
    limits = new LimitColumns(l);
  }

  public boolean storeBodies() {
    return storeBodies;
  }

  public int queueWeight() {
    return queueWeight;
  }

  public void queueWeight(int queueWeight) {
    this.queueWeight = queueWeight;
  }

  public void storeBodies(boolean storeBodies) {
    this.storeBodies = storeBodies;
  }

  public Set<VariantCode> entitlements() {
    return entitlements;
  }

  public void entitlements(Set<VariantCode> allowed) {
    entitlements.clear();
    entitlements.addAll(allowed);
  }

  public Instant createdAt() {
    return createdAt;
  }

  public Instant deletedAt() {
    return deletedAt;
  }
}
