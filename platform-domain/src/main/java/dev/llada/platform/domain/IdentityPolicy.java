package dev.llada.platform.domain;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a signed-in identity may do on one request (docs/SECURITY.md): which tenant it acts for and
 * with which scopes. A user of one tenant acts for it; a user of several names one per request
 * ({@code X-Tenant}); a platform-admin who names none acts for the whole platform, and so does a
 * platform-viewer, read-only. A tenant role without a tenant (a user taken out of its tenant's
 * group) grants nothing.
 */
public final class IdentityPolicy {

  /** The header in which a user of several tenants names the one a request is for. */
  public static final String TENANT_HEADER = "X-Tenant";

  /**
   * The outcome.
   *
   * @param tenantSlug the tenant the request acts for; null for the whole platform
   * @param scopes what it may do
   */
  public record Grant(String tenantSlug, Set<Scope> scopes) {}

  private IdentityPolicy() {}

  /**
   * @param requestedTenant the {@code X-Tenant} header, null when absent
   * @throws PermissionDeniedException 403 when the identity holds no platform role, names a tenant
   *     it is not in, or has tenant roles and no tenant
   * @throws InvalidRequestException 400 when it is in several tenants and names none
   */
  public static Grant grant(Identity id, String requestedTenant) {
    if (id.roles().isEmpty()) {
      throw new PermissionDeniedException(
          "no_role",
          null,
          "This token holds none of the platform's roles (platform-admin, platform-viewer,"
              + " tenant-admin, tenant-user, viewer).");
    }
    if (requestedTenant != null && !id.tenants().contains(requestedTenant)) {
      throw new PermissionDeniedException(
          "tenant_not_allowed",
          TENANT_HEADER,
          "This identity is not a member of the tenant named in " + TENANT_HEADER + ".");
    }
    if (requestedTenant == null && id.roles().contains(Role.PLATFORM_ADMIN)) {
      return new Grant(null, EnumSet.allOf(Scope.class));
    }
    if (requestedTenant == null && id.roles().contains(Role.PLATFORM_VIEWER)) {
      return new Grant(null, EnumSet.of(Scope.MODELS_READ, Scope.TENANT_READ, Scope.PLATFORM_READ));
    }
    String tenant = requestedTenant;
    if (tenant == null) {
      if (id.tenants().size() > 1) {
        throw new InvalidRequestException(
            TENANT_HEADER,
            "This identity belongs to several tenants; name the one this request is for in "
                + TENANT_HEADER
                + ".");
      }
      tenant = id.tenants().isEmpty() ? null : id.tenants().get(0);
    }
    if (tenant == null) {
      throw new PermissionDeniedException(
          "no_tenant",
          null,
          "This token's tenant roles name no tenant (the identity provider's 'tenant' claim).");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    id.roles().forEach(r -> scopes.addAll(r.tenantScopes()));
    if (scopes.isEmpty()) {
      throw new PermissionDeniedException(
          "no_role", null, "This token holds no role inside tenant '" + tenant + "'.");
    }
    return new Grant(tenant, scopes);
  }
}
