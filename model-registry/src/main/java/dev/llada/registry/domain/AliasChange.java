package dev.llada.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.Generated;

/** One move of an alias, kept in order: what rollback reads and the history shows (V3). */
@Entity
@Table(name = "model_alias_history")
public class AliasChange {

  /** What moved the alias. */
  public enum Action {
    CREATE,
    PROMOTE,
    ROLLBACK
  }

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  @Column(name = "id", updatable = false)
  private Long id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "alias_id", nullable = false, updatable = false)
  private ModelAlias alias;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "version_id", nullable = false, updatable = false)
  private ModelVersion version;

  @Enumerated(EnumType.STRING)
  @Column(name = "action", nullable = false, updatable = false)
  private Action action;

  @Generated
  @Column(name = "changed_at", nullable = false, insertable = false, updatable = false)
  private Instant changedAt;

  protected AliasChange() {}

  public AliasChange(ModelAlias alias, ModelVersion version, Action action) {
    this.alias = alias;
    this.version = version;
    this.action = action;
  }

  public Long id() {
    return id;
  }

  public ModelVersion version() {
    return version;
  }

  public Action action() {
    return action;
  }

  public Instant changedAt() {
    return changedAt;
  }
}
