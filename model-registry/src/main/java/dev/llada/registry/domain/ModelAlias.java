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

/**
 * A movable name for a version ({@code instruct@prod}); global when it has no tenant. Promote and
 * rollback move {@link #version}; the version itself never changes. Read here for look-ups only:
 * the registry administration ({@code ModelAdmin}) is the one writer of aliases (issue #14 moves
 * that writer into this module).
 */
@Entity
@Table(name = "model_alias")
public class ModelAlias {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  /** Null for a global alias. */
  @ManyToOne(fetch = FetchType.LAZY)
  @JoinColumn(name = "tenant_id", updatable = false)
  private Tenant tenant;

  @Column(name = "alias", nullable = false, updatable = false)
  private String alias;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id", nullable = false)
  private ModelVersion version;

  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  @Column(name = "updated_at", nullable = false)
  private Instant updatedAt;

  protected ModelAlias() {}

  public UUID id() {
    return id;
  }

  public Tenant tenant() {
    return tenant;
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
