package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentityPolicyTest {

  private static Identity id(Set<Role> roles, String... tenants) {
    return new Identity("https://idp", "sub-1", "alice", roles, List.of(tenants));
  }

  @Test
  void aTenantUserActsForItsOneTenant() {
    IdentityPolicy.Grant g = IdentityPolicy.grant(id(Set.of(Role.TENANT_USER), "acme"), null);
    assertEquals("acme", g.tenantSlug());
    assertEquals(
        EnumSet.of(Scope.MODELS_READ, Scope.INFERENCE, Scope.USAGE_READ, Scope.FILES), g.scopes());
  }

  @Test
  void aTenantAdminManagesItsTenantButNeverThePlatform() {
    IdentityPolicy.Grant g =
        IdentityPolicy.grant(id(Set.of(Role.TENANT_ADMIN, Role.TENANT_USER), "acme"), null);
    assertTrue(g.scopes().containsAll(Set.of(Scope.TENANT_READ, Scope.TENANT_WRITE)));
    assertTrue(!g.scopes().contains(Scope.ADMIN) && !g.scopes().contains(Scope.PLATFORM_READ));
  }

  @Test
  void aViewerReadsOnly() {
    IdentityPolicy.Grant inTenant = IdentityPolicy.grant(id(Set.of(Role.VIEWER), "acme"), null);
    assertEquals(
        EnumSet.of(Scope.MODELS_READ, Scope.USAGE_READ, Scope.TENANT_READ), inTenant.scopes());
    // a viewer taken out of its tenant's group loses access; it does not become a platform viewer
    assertEquals(
        "no_tenant",
        assertThrows(
                PermissionDeniedException.class,
                () -> IdentityPolicy.grant(id(Set.of(Role.VIEWER)), null))
            .code());
    IdentityPolicy.Grant platform = IdentityPolicy.grant(id(Set.of(Role.PLATFORM_VIEWER)), null);
    assertNull(platform.tenantSlug());
    assertEquals(
        EnumSet.of(Scope.MODELS_READ, Scope.TENANT_READ, Scope.PLATFORM_READ), platform.scopes());
  }

  @Test
  void aPlatformAdminWithoutATenantHeaderActsForThePlatform() {
    IdentityPolicy.Grant g = IdentityPolicy.grant(id(Set.of(Role.PLATFORM_ADMIN)), null);
    assertNull(g.tenantSlug());
    assertEquals(EnumSet.allOf(Scope.class), g.scopes());
  }

  @Test
  void aUserOfTwoTenantsNamesOnePerRequestAndNeverAThird() {
    Identity two = id(Set.of(Role.TENANT_USER), "acme", "globex");
    assertEquals(
        "X-Tenant",
        assertThrows(InvalidRequestException.class, () -> IdentityPolicy.grant(two, null)).param());
    assertEquals("globex", IdentityPolicy.grant(two, "globex").tenantSlug());
    assertEquals(
        "tenant_not_allowed",
        assertThrows(PermissionDeniedException.class, () -> IdentityPolicy.grant(two, "initech"))
            .code());
  }

  @Test
  void noRoleOrATenantRoleWithoutATenantIsRefused() {
    assertEquals(
        "no_role",
        assertThrows(
                PermissionDeniedException.class,
                () -> IdentityPolicy.grant(id(Set.of(), "acme"), null))
            .code());
    assertEquals(
        "no_tenant",
        assertThrows(
                PermissionDeniedException.class,
                () -> IdentityPolicy.grant(id(Set.of(Role.TENANT_ADMIN)), null))
            .code());
    // an operator naming a tenant acts inside it with its tenant roles only, here none
    assertEquals(
        "no_role",
        assertThrows(
                PermissionDeniedException.class,
                () -> IdentityPolicy.grant(id(Set.of(Role.PLATFORM_ADMIN), "acme"), "acme"))
            .code());
  }

  @Test
  void unknownRoleNamesAreIgnored() {
    assertEquals(
        EnumSet.of(Role.VIEWER), Role.of(List.of("offline_access", "viewer", "uma_authorization")));
  }

  @Test
  void aKeyCannotHoldAnAdministrationScope() {
    for (Scope s :
        List.of(Scope.ADMIN, Scope.TENANT_READ, Scope.TENANT_WRITE, Scope.PLATFORM_READ)) {
      assertEquals(
          "scopes",
          assertThrows(InvalidRequestException.class, () -> KeyPolicy.granted(Set.of(s))).param());
    }
  }

  @Test
  void aTenantAdminSetsLimitsUpToTheCeilingsAndOnlyLowersTheRest() {
    Limits current = new Limits(100L, 1_000L, null, null);
    Limits ceilings = new Limits(300L, null, null, null);
    // up to the ceiling; below the current limit where there is none; anything where neither
    TenantPolicy.checkWithinCeilings(current, new Limits(300L, 500L, 9L, 2L), ceilings);
    PermissionDeniedException above =
        assertThrows(
            PermissionDeniedException.class,
            () ->
                TenantPolicy.checkWithinCeilings(
                    current, new Limits(301L, 1_000L, null, null), ceilings));
    assertEquals("limit_above_ceiling", above.code());
    assertEquals("limits.requests_per_minute", above.param());
    assertEquals(
        "limits.tokens_per_day",
        assertThrows(
                PermissionDeniedException.class,
                () ->
                    TenantPolicy.checkWithinCeilings(
                        current, new Limits(1L, 1_001L, null, null), ceilings))
            .param());
    // removing a limit is raising it without bound
    assertEquals(
        "limits.requests_per_minute",
        assertThrows(
                PermissionDeniedException.class,
                () ->
                    TenantPolicy.checkWithinCeilings(
                        current, new Limits(null, 1L, null, null), ceilings))
            .param());
  }
}
