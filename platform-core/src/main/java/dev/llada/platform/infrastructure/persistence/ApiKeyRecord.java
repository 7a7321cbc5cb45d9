package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.Scope;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.hibernate.annotations.Generated;

/**
 * An API key as stored (V2, V4): the SHA-256 of its secret, never the secret. Written only by
 * {@link JpaTenancy}; revocation stamps {@code revoked_at} with the database's clock.
 */
@Entity
@Table(name = "api_key")
public class ApiKeyRecord {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "tenant_id", nullable = false, updatable = false)
  private TenantRecord tenant;

  @Column(name = "name", nullable = false, updatable = false)
  private String name;

  @Column(name = "prefix", nullable = false, updatable = false)
  private String prefix;

  @Column(name = "secret_sha256", nullable = false, updatable = false)
  private String secretSha256;

  @Column(name = "scopes", nullable = false, updatable = false)
  private String scopes;

  /** A key's own limits; set at creation, never changed (the entity has no setter). */
  @Embedded private LimitColumns limits;

  @Column(name = "expires_at", updatable = false)
  private Instant expiresAt;

  @Column(name = "revoked_at", insertable = false, updatable = false)
  private Instant revokedAt;

  /** The tenant user who made it, if any (set null when that user is removed, V4). */
  @Column(name = "created_by", updatable = false)
  private UUID createdBy;

  @Generated
  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected ApiKeyRecord() {}

  public ApiKeyRecord(
      UUID id,
      TenantRecord tenant,
      String name,
      String prefix,
      String secretSha256,
      Set<Scope> scopes,
      Limits limits,
      Instant expiresAt,
      UUID createdBy) {
    this.id = id;
    this.tenant = tenant;
    this.name = name;
    this.prefix = prefix;
    this.secretSha256 = secretSha256;
    this.scopes = Scope.format(scopes);
    this.limits = new LimitColumns(limits);
    this.expiresAt = expiresAt;
    this.createdBy = createdBy;
  }

  public UUID id() {
    return id;
  }

  public TenantRecord tenant() {
    return tenant;
  }

  public String name() {
    return name;
  }

  public String prefix() {
    return prefix;
  }

  public Set<Scope> scopes() {
    return Scope.parse(scopes);
  }

  public Limits limits() {
    return limits == null ? Limits.NONE : limits.limits(); // all four null reads back as null
  }

  public Instant expiresAt() {
    return expiresAt;
  }

  public Instant revokedAt() {
    return revokedAt;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public UUID createdBy() {
    return createdBy;
  }
}
