package dev.llada.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An organisation using the platform; every tenant-owned row points here. */
@Entity
@Table(name = "tenant")
public class Tenant {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  @Column(name = "slug", nullable = false, unique = true, updatable = false)
  private String slug;

  @Column(name = "display_name", nullable = false)
  private String displayName;

  @Column(name = "status", nullable = false)
  private String status;

  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected Tenant() {}

  public UUID id() {
    return id;
  }

  public String slug() {
    return slug;
  }

  public String displayName() {
    return displayName;
  }

  public String status() {
    return status;
  }

  public Instant createdAt() {
    return createdAt;
  }
}
