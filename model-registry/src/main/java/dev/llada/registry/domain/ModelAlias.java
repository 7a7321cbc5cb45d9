package dev.llada.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.Generated;

/**
 * A movable name for a version ({@code instruct@prod}); global when it has no tenant. Promote and
 * rollback move {@link #version}; the version itself never changes. The tenant is referred to by id
 * (tenancy is another module's; issue #14: modules refer to each other's entities by id).
 */
@Entity
@Table(name = "model_alias")
public class ModelAlias {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  /** Null for a global alias. */
  @Column(name = "tenant_id", updatable = false)
  private UUID tenantId;

  @Column(name = "alias", nullable = false, updatable = false)
  private String alias;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id", nullable = false)
  private ModelVersion version;

  @Generated
  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  /** Set by the database's clock on creation and on every move (the registry's bulk update). */
  @Generated
  @Column(name = "updated_at", nullable = false, insertable = false, updatable = false)
  private Instant updatedAt;

  protected ModelAlias() {}

  public ModelAlias(UUID id, UUID tenantId, String alias, ModelVersion version) {
    this.id = id;
    this.tenantId = tenantId;
    this.alias = alias;
    this.version = version;
  }

  public UUID id() {
    return id;
  }

  public UUID tenantId() {
    return tenantId;
  }

  public String alias() {
    return alias;
  }

  public ModelVersion version() {
    return version;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public Instant updatedAt() {
    return updatedAt;
  }
}
