package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key rules without a database: what a key may hold, its secret, and who is let in. */
class KeyPolicyTest {

  private final Instant now = Instant.parse("2026-12-01T12:00:00Z");

  @Test
  void aNewKeyGetsTheTenantScopesAndNeverAdmin() {
    assertEquals(Scope.tenantScopes(), KeyPolicy.granted(null));
    assertEquals(Scope.tenantScopes(), KeyPolicy.granted(Set.of()));
    assertEquals(EnumSet.of(Scope.INFERENCE), KeyPolicy.granted(EnumSet.of(Scope.INFERENCE)));
    assertEquals(
        "scopes",
        assertThrows(
                InvalidRequestException.class,
                () -> KeyPolicy.granted(EnumSet.of(Scope.INFERENCE, Scope.ADMIN)))
            .param());
  }

  @Test
  void namesAndExpiryAreChecked() {
    assertEquals("ci key", KeyPolicy.name("  ci key "));
    assertEquals(
        "name", assertThrows(InvalidRequestException.class, () -> KeyPolicy.name(" ")).param());
    assertThrows(InvalidRequestException.class, () -> KeyPolicy.name("k".repeat(101)));
    KeyPolicy.checkExpiry(null, now);
    KeyPolicy.checkExpiry(now.plusSeconds(1), now);
    assertEquals(
        "expires_at",
        assertThrows(InvalidRequestException.class, () -> KeyPolicy.checkExpiry(now, now)).param());
  }

  @Test
  void secretsArePrefixedRandomAndStoredAsTheirHash() {
    String a = KeyPolicy.newSecret();
    String b = KeyPolicy.newSecret();
    assertNotEquals(a, b);
    assertTrue(a.matches("llk_[0-9A-Za-z]{40}"), a);
    assertTrue(KeyPolicy.looksLikeKey(a));
    assertFalse(KeyPolicy.looksLikeKey("sk-" + a));
    assertFalse(KeyPolicy.looksLikeKey("llk_" + "x".repeat(97)));
    assertFalse(KeyPolicy.looksLikeKey(null));
    // SHA-256 of "abc" (FIPS 180-2 test vector)
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        KeyPolicy.sha256("abc"));
  }

  @Test
  void revokedExpiredDeletedAndSuspendedAreRefusedEachWithItsCode() {
    KeyPolicy.admit(null, null, TenantStatus.ACTIVE, now);
    KeyPolicy.admit(null, now.plusSeconds(60), TenantStatus.ACTIVE, now);
    assertEquals(
        "api_key_revoked",
        assertThrows(
                AuthenticationException.class,
                () -> KeyPolicy.admit(now, null, TenantStatus.ACTIVE, now))
            .code());
    assertEquals(
        "api_key_expired",
        assertThrows(
                AuthenticationException.class,
                () -> KeyPolicy.admit(null, now, TenantStatus.ACTIVE, now))
            .code());
    AuthenticationException deleted =
        assertThrows(
            AuthenticationException.class,
            () -> KeyPolicy.admit(null, null, TenantStatus.DELETED, now));
    assertEquals("api_key_revoked", deleted.code());
    assertEquals(401, deleted.status());
    PermissionDeniedException suspended =
        assertThrows(
            PermissionDeniedException.class,
            () -> KeyPolicy.admit(null, null, TenantStatus.SUSPENDED, now));
    assertEquals("tenant_suspended", suspended.code());
    assertEquals(403, suspended.status());
    assertEquals("invalid_api_key", KeyPolicy.unknownKey().code());
  }
}
