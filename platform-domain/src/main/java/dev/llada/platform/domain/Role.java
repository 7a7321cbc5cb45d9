package dev.llada.platform.domain;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;

/**
 * The identity provider's realm roles (the token's {@code groups} claim, MicroProfile JWT's
 * convention) and the scopes each grants. Declared here once; docs/SECURITY.md is the table.
 */
public enum Role {
  /** Operates the whole platform: every scope, no tenant. */
  PLATFORM_ADMIN("platform-admin"),
  /** Administers one tenant: its keys and users, and everything a tenant user may do. */
  TENANT_ADMIN("tenant-admin"),
  /** Calls models and reads usage, billed to the tenant. */
  TENANT_USER("tenant-user"),
  /** Reads only its tenant's resources. */
  VIEWER("viewer"),
  /**
   * Reads the whole platform's resources (an auditor). A role of its own, never inferred from a
   * viewer without a tenant: a viewer taken out of its tenant group must lose access, not gain it.
   */
  PLATFORM_VIEWER("platform-viewer");

  private final String wire;

  Role(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The platform roles among a token's role names; others (offline_access, ...) are ignored. */
  public static Set<Role> of(Collection<String> names) {
    Set<Role> out = EnumSet.noneOf(Role.class);
    for (Role r : values()) {
      if (names.contains(r.wire)) {
        out.add(r);
      }
    }
    return out;
  }

  /** What this role may do inside its tenant. */
  public Set<Scope> tenantScopes() {
    return switch (this) {
      case PLATFORM_ADMIN, PLATFORM_VIEWER -> EnumSet.noneOf(Scope.class);
      case TENANT_ADMIN ->
          EnumSet.of(
              Scope.MODELS_READ,
              Scope.INFERENCE,
              Scope.USAGE_READ,
              Scope.FILES,
              Scope.TENANT_READ,
              Scope.TENANT_WRITE);
      case TENANT_USER ->
          EnumSet.of(Scope.MODELS_READ, Scope.INFERENCE, Scope.USAGE_READ, Scope.FILES);
      case VIEWER -> EnumSet.of(Scope.MODELS_READ, Scope.USAGE_READ, Scope.TENANT_READ);
    };
  }
}
