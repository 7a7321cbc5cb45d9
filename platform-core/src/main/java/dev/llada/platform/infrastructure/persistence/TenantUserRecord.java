package dev.llada.platform.infrastructure.persistence;

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

/** An identity provider subject mapped to a tenant (V4). Written only by {@link JpaTenancy}. */
@Entity
@Table(name = "tenant_user")
public class TenantUserRecord {

  @Id
  @Column(name = "id", updatable = false)
  private UUID id;

  @ManyToOne(fetch = FetchType.LAZY, optional = false)
  @JoinColumn(name = "tenant_id", nullable = false, updatable = false)
  private TenantRecord tenant;

  @Column(name = "issuer", nullable = false, updatable = false)
  private String issuer;

  @Column(name = "subject", nullable = false, updatable = false)
  private String subject;

  @Column(name = "email", updatable = false)
  private String email;

  @Column(name = "role", nullable = false, updatable = false)
  private String role;

  @Generated
  @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
  private Instant createdAt;

  protected TenantUserRecord() {}

  public TenantUserRecord(
      UUID id, TenantRecord tenant, String issuer, String subject, String email, String role) {
    this.id = id;
    this.tenant = tenant;
    this.issuer = issuer;
    this.subject = subject;
    this.email = email;
    this.role = role;
  }

  public UUID id() {
    return id;
  }

  public TenantRecord tenant() {
    return tenant;
  }

  public String issuer() {
    return issuer;
  }

  public String subject() {
    return subject;
  }

  public String email() {
    return email;
  }

  public String role() {
    return role;
  }

  public Instant createdAt() {
    return createdAt;
  }
}
