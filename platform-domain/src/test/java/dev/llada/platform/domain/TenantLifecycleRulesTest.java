package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Tenant lifecycle and tenancy input rules without a database (docs/adr/0007). */
class TenantLifecycleRulesTest {

  @Test
  void administratorsSetActiveOrSuspendedNeverDeleted() {
    assertEquals(TenantStatus.ACTIVE, TenantStatus.settable("ACTIVE"));
    assertEquals(TenantStatus.SUSPENDED, TenantStatus.settable("SUSPENDED"));
    for (String bad : new String[] {"DELETED", "active", "", null}) {
      assertEquals(
          "status",
          assertThrows(InvalidRequestException.class, () -> TenantStatus.settable(bad)).param());
    }
  }

  @Test
  void aTombstoneRefusesChangesWith409() {
    TenantStatus.ACTIVE.requireChangeable("acme", null);
    TenantStatus.SUSPENDED.requireChangeable("acme", null);
    ConflictException e =
        assertThrows(
            ConflictException.class,
            () -> TenantStatus.DELETED.requireChangeable("acme", Instant.EPOCH));
    assertEquals("tenant_deleted", e.code());
    assertEquals(409, e.status());
  }

  @Test
  void slugsNamesAndUsersAreCheckedNamingTheParameter() {
    TenantPolicy.checkSlug("acme-1");
    for (String bad : new String[] {"Acme", "-acme", "a".repeat(64), "a_b", null}) {
      assertEquals(
          "slug",
          assertThrows(InvalidRequestException.class, () -> TenantPolicy.checkSlug(bad)).param());
    }
    assertEquals("Acme Inc", TenantPolicy.displayName(" Acme Inc "));
    assertThrows(InvalidRequestException.class, () -> TenantPolicy.displayName("  "));
    assertEquals(TenantPolicy.Role.MEMBER, TenantPolicy.checkUser("iss", "sub", null, null));
    assertEquals(TenantPolicy.Role.OWNER, TenantPolicy.checkUser("iss", "sub", "a@b", "OWNER"));
    assertEquals(
        "role",
        assertThrows(
                InvalidRequestException.class,
                () -> TenantPolicy.checkUser("iss", "sub", null, "ROOT"))
            .param());
    assertEquals(
        "email",
        assertThrows(
                InvalidRequestException.class,
                () -> TenantPolicy.checkUser("iss", "sub", "nope", null))
            .param());
    assertEquals(
        "subject",
        assertThrows(
                InvalidRequestException.class, () -> TenantPolicy.checkUser("iss", "", null, null))
            .param());
  }

  @org.junit.jupiter.api.Test
  void aQueueWeightIsOneToAHundred() {
    org.junit.jupiter.api.Assertions.assertNull(TenantPolicy.queueWeight(null));
    org.junit.jupiter.api.Assertions.assertEquals(1, TenantPolicy.queueWeight(1L));
    org.junit.jupiter.api.Assertions.assertEquals(100, TenantPolicy.queueWeight(100L));
    for (long bad : new long[] {0, -1, 101, Long.MAX_VALUE}) {
      InvalidRequestException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              InvalidRequestException.class, () -> TenantPolicy.queueWeight(bad));
      org.junit.jupiter.api.Assertions.assertEquals("queue_weight", e.param());
    }
  }
}
