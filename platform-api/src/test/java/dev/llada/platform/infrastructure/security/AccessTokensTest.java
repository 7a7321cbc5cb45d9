package dev.llada.platform.infrastructure.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Identity;
import dev.llada.platform.domain.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Offline verification of access tokens, against tokens minted here (no identity provider). */
class AccessTokensTest {

  private static final String ISSUER = "https://idp.test/realms/platform";
  private static final RSAKey KEY = key("k1");
  private static final RSAKey OTHER = key("k1"); // same kid, another key: a forgery

  private static RSAKey key(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private final AccessTokens tokens =
      new AccessTokens(
          new ImmutableJWKSet<>(new JWKSet(KEY.toPublicJWK())),
          ISSUER,
          Set.of("platform-api"),
          Duration.ofSeconds(30),
          Duration.ofHours(1));

  private static JWTClaimsSet.Builder claims() {
    long now = System.currentTimeMillis();
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("8bd53e4f")
        .audience("platform-api")
        .issueTime(new Date(now - 1_000))
        .expirationTime(new Date(now + 300_000))
        .claim("typ", "Bearer")
        .claim("preferred_username", "alice")
        .claim("groups", List.of("tenant-admin", "tenant-user", "offline_access"))
        .claim("tenant", "acme");
  }

  static String mint(RSAKey key, UnaryOperator<JWTClaimsSet.Builder> edit) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .type(JOSEObjectType.JWT)
                  .keyID(key.getKeyID())
                  .build(),
              edit.apply(claims()).build());
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String refused(String token) {
    return assertThrows(AuthenticationException.class, () -> tokens.verify(token)).code();
  }

  @Test
  void aValidTokenGivesItsIdentity() {
    Identity id = tokens.verify(mint(KEY, b -> b));
    assertEquals(ISSUER, id.issuer());
    assertEquals("8bd53e4f", id.subject());
    assertEquals("alice", id.name());
    assertEquals(Set.of(Role.TENANT_ADMIN, Role.TENANT_USER), id.roles());
    assertEquals(List.of("acme"), id.tenants());
  }

  @Test
  void aTenantClaimMayListSeveralTenants() {
    Identity id = tokens.verify(mint(KEY, b -> b.claim("tenant", List.of("acme", "globex"))));
    assertEquals(List.of("acme", "globex"), id.tenants());
  }

  @Test
  void expiryHonoursTheClockSkewAndNoMore() {
    long now = System.currentTimeMillis();
    tokens.verify(
        mint(
            KEY, b -> b.issueTime(new Date(now - 300_000)).expirationTime(new Date(now - 10_000))));
    assertEquals(
        "token_expired",
        refused(
            mint(
                KEY,
                b -> b.issueTime(new Date(now - 300_000)).expirationTime(new Date(now - 60_000)))));
  }

  @Test
  void forgedOtherIssuerOtherAudienceAndNoAudienceAreRefused() {
    assertEquals("invalid_token", refused(mint(OTHER, b -> b)));
    assertEquals(
        "invalid_token", refused(mint(KEY, b -> b.issuer("https://evil.test/realms/platform"))));
    assertEquals("invalid_token", refused(mint(KEY, b -> b.audience("account"))));
    assertEquals("invalid_token", refused(mint(KEY, b -> b.audience((String) null))));
    assertEquals("invalid_token", refused(mint(KEY, b -> b.subject(null))));
    // an ID token of the same client: same audience, typ "ID"
    assertEquals("invalid_token", refused(mint(KEY, b -> b.claim("typ", "ID"))));
    // no iat: the lifetime cap could not be checked
    assertEquals("invalid_token", refused(mint(KEY, b -> b.issueTime(null))));
    assertEquals(
        "invalid_token",
        refused(mint(KEY, b -> b.claim("tenant", java.util.Arrays.asList("acme", null)))));
  }

  @Test
  void unsignedAndHmacConfusedTokensAreRefused() throws Exception {
    assertEquals("invalid_token", refused(new PlainJWT(claims().build()).serialize()));
    // the classic algorithm confusion: HS256 keyed with the public key's bytes
    SignedJWT hmac =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims().build());
    byte[] secret = KEY.toPublicJWK().toRSAPublicKey().getEncoded();
    hmac.sign(new MACSigner(java.util.Arrays.copyOf(secret, Math.max(secret.length, 32))));
    assertEquals("invalid_token", refused(hmac.serialize()));
    String t = mint(KEY, b -> b);
    assertEquals("invalid_token", refused(t.substring(0, t.length() - 4) + "AAAA"));
  }

  @Test
  void aLongLivedTokenIsRefused() {
    long now = System.currentTimeMillis();
    assertEquals(
        "invalid_token",
        refused(
            mint(KEY, b -> b.issueTime(new Date(now)).expirationTime(new Date(now + 86_400_000)))));
  }

  @Test
  void keysOverPlainHttpAreFetchedFromLoopbackOnly() {
    AccessTokens.keysAt("http://127.0.0.1:28080/realms/platform/protocol/openid-connect/certs");
    AccessTokens.keysAt("https://idp.example.com/realms/platform/protocol/openid-connect/certs");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AccessTokens.keysAt(
                "http://idp.example.com/realms/platform/protocol/openid-connect/certs"));
  }

  @Test
  void onlyJwtShapedCredentialsAreTakenForTokens() {
    assertTrue(AccessTokens.looksLikeJwt(mint(KEY, b -> b)));
    assertFalse(AccessTokens.looksLikeJwt("llk_abcdefghijklmnop"));
    assertFalse(AccessTokens.looksLikeJwt("a.b.c"));
    assertFalse(AccessTokens.looksLikeJwt("eyJ.a b.c"));
  }

  @Test
  void aJwksFileIsReadAtEachUseSoARotationIsSeen() throws Exception {
    Path file = Files.createTempFile("jwks", ".json");
    Files.writeString(file, new JWKSet(OTHER.toPublicJWK()).toString());
    AccessTokens fromFile =
        new AccessTokens(
            AccessTokens.keysAt(file.toUri().toString()),
            ISSUER,
            Set.of("platform-api"),
            Duration.ofSeconds(30),
            Duration.ofHours(1));
    String token = mint(KEY, b -> b);
    assertThrows(AuthenticationException.class, () -> fromFile.verify(token));
    Files.writeString(file, new JWKSet(KEY.toPublicJWK()).toString());
    assertEquals("alice", fromFile.verify(token).name());
  }
}
