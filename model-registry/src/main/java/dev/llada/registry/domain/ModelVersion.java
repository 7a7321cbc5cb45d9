package dev.llada.registry.domain;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.MapKeyColumn;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.hibernate.annotations.Generated;

/**
 * A registered checkpoint of a variant, pinned by the digest of its content, with its lineage (base
 * version, training job, dataset) and its model card. Immutable once written: every column is
 * non-updatable here, and a database trigger refuses updates (V1). Only its tags change; they live
 * in their own table.
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

  /** {@code single} or {@code sharded} safetensors. */
  @Column(name = "layout", nullable = false, updatable = false)
  private String layout;

  @Column(name = "has_tokenizer", nullable = false, updatable = false)
  private boolean hasTokenizer;

  @Column(name = "model_card", updatable = false)
  private String modelCard;

  /** The version this one was trained from, if any (lineage). */
  @ManyToOne(fetch = FetchType.LAZY)
  @JoinColumn(name = "base_version_id", updatable = false)
  private ModelVersion baseVersion;

  @Column(name = "training_job", updatable = false)
  private String trainingJob;

  @Column(name = "dataset", updatable = false)
  private String dataset;

  @ElementCollection(fetch = FetchType.LAZY)
  @CollectionTable(name = "model_version_tag", joinColumns = @JoinColumn(name = "version_id"))
  @MapKeyColumn(name = "key")
  @Column(name = "value", nullable = false)
  private Map<String, String> tags = new TreeMap<>();

  /** The database's clock at insertion, read back (one clock for every node). */
  @Generated
  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected ModelVersion() {}

  /** Version {@code number} of {@code artifact.name()}, built from {@code base} if not null. */
  public ModelVersion(
      UUID id, ModelVariant variant, int number, NewVersion artifact, ModelVersion base) {
    this.id = id;
    this.variant = variant;
    this.name = artifact.name();
    this.version = number;
    this.digest = artifact.digest();
    this.artifactUri = artifact.artifactUri();
    this.parameterCount = artifact.parameterCount();
    this.dtype = artifact.dtype();
    this.layout = artifact.layout();
    this.hasTokenizer = artifact.hasTokenizer();
    this.modelCard = artifact.modelCard();
    this.baseVersion = base;
    this.trainingJob = artifact.trainingJob();
    this.dataset = artifact.dataset();
  }

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

  /** {@code name:N}, as clients and the admin API write a version. */
  public String ref() {
    return name + ":" + version;
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

  public String layout() {
    return layout;
  }

  public boolean hasTokenizer() {
    return hasTokenizer;
  }

  public String modelCard() {
    return modelCard;
  }

  public ModelVersion baseVersion() {
    return baseVersion;
  }

  public String trainingJob() {
    return trainingJob;
  }

  public String dataset() {
    return dataset;
  }

  /** The tags, sorted by key. */
  public SortedMap<String, String> tags() {
    return Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  /** Sets each tag; a null value removes it (keys and values checked by {@link RegistryNames}). */
  public void retag(Map<String, String> changes) {
    changes.forEach(
        (key, value) -> {
          if (value == null) {
            tags.remove(key);
          } else {
            tags.put(key, value);
          }
        });
  }

  public Instant createdAt() {
    return createdAt;
  }
}
