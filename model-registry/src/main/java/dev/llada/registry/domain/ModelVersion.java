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
 * A registered checkpoint of a variant, pinned by the digest of its content. Immutable once
 * written: every column is non-updatable here, and a database trigger refuses updates. Read here
 * for look-ups only: the registry administration ({@code ModelAdmin}), which zoo registration uses
 * too, is the one writer of versions (issue #14 moves that writer into this module).
 */
@Entity
@Table(name = "model_version")
public class ModelVersion {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "variant_code", nullable = false, updatable = false)
  private ModelVariant variant;

  @Column(name = "name", nullable = false, updatable = false)
  private String name;

  @Column(name = "version", nullable = false, updatable = false)
  private int version;

  /** {@code sha256:<64 hex>} over the checkpoint's files. */
  @Column(name = "digest", nullable = false, updatable = false)
  private String digest;

  @Column(name = "artifact_uri", nullable = false, updatable = false)
  private String artifactUri;

  @Column(name = "parameter_count", nullable = false, updatable = false)
  private long parameterCount;

  @Column(name = "dtype", nullable = false, updatable = false)
  private String dtype;

  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected ModelVersion() {}

  public UUID id() {
    return id;
  }

  public ModelVariant variant() {
    return variant;
  }

  public String name() {
    return name;
  }

  public int version() {
    return version;
  }

  public String digest() {
    return digest;
  }

  public String artifactUri() {
    return artifactUri;
  }

  public long parameterCount() {
    return parameterCount;
  }

  public String dtype() {
    return dtype;
  }

  public Instant createdAt() {
    return createdAt;
  }
}
