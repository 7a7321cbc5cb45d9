package dev.llada.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One member of the LLaDA family, e.g. {@code llada-8b-instruct}. Reference data from V1. */
@Entity
@Table(name = "model_variant")
public class ModelVariant {

  @Id
  @Enumerated(EnumType.STRING)
  @Column(name = "code", length = 16)
  private VariantCode code;

  /** The name tenants use in {@code model} fields. */
  @Column(name = "model_id", nullable = false, unique = true)
  private String modelId;

  @Column(name = "display_name", nullable = false)
  private String displayName;

  /** Hugging Face repository of the published weights. */
  @Column(name = "upstream_repo", nullable = false)
  private String upstreamRepo;

  @Column(name = "owned_by", nullable = false)
  private String ownedBy;

  @Enumerated(EnumType.STRING)
  @Column(name = "architecture", nullable = false)
  private Architecture architecture;

  @Column(name = "description", nullable = false)
  private String description;

  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected ModelVariant() {}

  public VariantCode code() {
    return code;
  }

  public String modelId() {
    return modelId;
  }

  public String displayName() {
    return displayName;
  }

  public String upstreamRepo() {
    return upstreamRepo;
  }

  public String ownedBy() {
    return ownedBy;
  }

  public Architecture architecture() {
    return architecture;
  }

  public String description() {
    return description;
  }

  public Instant createdAt() {
    return createdAt;
  }
}
