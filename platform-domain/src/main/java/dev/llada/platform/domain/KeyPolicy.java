package dev.llada.platform.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * API keys: what a new key may hold, what its secret looks like, and whether a presented key is let
 * in. Only the SHA-256 of a secret is stored; the secret is shown once, at creation.
 */
public final class KeyPolicy {

  /** Every secret starts with this, so it can be told from other credentials at a glance. */
  public static final String SECRET_PREFIX = "llk_";

  /** Characters of the secret stored in clear, to recognise a key in lists and logs. */
  public static final int VISIBLE_PREFIX = 12;

  private static final int SECRET_CHARACTERS = 40; // ~238 bits
  private static final int MAX_PRESENTED = 100;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private KeyPolicy() {}

  /** The key's name as stored (stripped); 400 when blank or over 100 characters. */
  public static String name(String name) {
    if (name == null || name.isBlank() || name.length() > 100) {
      throw new InvalidRequestException("name", "name must be 1-100 characters");
    }
    return name.strip();
  }

  /** The scopes a new tenant key gets: all tenant scopes when none are asked; never admin. */
  public static Set<Scope> granted(Set<Scope> asked) {
    Set<Scope> granted = asked == null || asked.isEmpty() ? Scope.tenantScopes() : asked;
    for (Scope s : granted) {
      if (!Scope.tenantScopes().contains(s)) {
        throw new InvalidRequestException(
            "scopes", "a tenant key cannot hold the " + s.wire() + " scope");
      }
    }
    return granted;
  }

  public static void checkExpiry(Instant expiresAt, Instant now) {
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new InvalidRequestException("expires_at", "expires_at must be in the future");
    }
  }

  /** The longest a rotated key's predecessor may keep working. */
  public static final java.time.Duration MAX_ROTATION_GRACE = java.time.Duration.ofDays(30);

  /** 400 unless a rotation's grace period is 0 to 30 days. */
  public static void checkGrace(java.time.Duration grace) {
    if (grace == null || grace.isNegative() || grace.compareTo(MAX_ROTATION_GRACE) > 0) {
      throw new InvalidRequestException(
          "grace_seconds", "grace_seconds must be from 0 to " + MAX_ROTATION_GRACE.toSeconds());
    }
  }

  /**
   * 400 for rotating a key that no longer works: a revoked or expired key is replaced, not rotated.
   */
  public static void admitRotation(Instant revokedAt, Instant expiresAt, Instant now) {
    if (revokedAt != null || expiresAt != null && !expiresAt.isAfter(now)) {
      throw new InvalidRequestException(
          "key", "This key is revoked or expired; create a new key instead of rotating it.");
    }
  }

  /** Whether a presented credential can be a key at all (before any look-up). */
  public static boolean looksLikeKey(String secret) {
    return secret != null && secret.startsWith(SECRET_PREFIX) && secret.length() <= MAX_PRESENTED;
  }

  /**
   * Lets a known key in or says why not: 401 when revoked, expired, or its tenant deleted; 403 when
   * its tenant is suspended.
   */
  public static void admit(Instant revokedAt, Instant expiresAt, TenantStatus tenant, Instant now) {
    if (revokedAt != null) {
      throw new AuthenticationException("api_key_revoked", "This API key has been revoked.");
    }
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new AuthenticationException(
          "api_key_expired", "This API key expired at " + expiresAt + ".");
    }
    if (tenant == TenantStatus.DELETED) {
      throw new AuthenticationException("api_key_revoked", "This API key's tenant was deleted.");
    }
    if (tenant != TenantStatus.ACTIVE) {
      throw new PermissionDeniedException("tenant_suspended", null, "This tenant is suspended.");
    }
  }

  /** The answer to a credential that is no key of ours. */
  public static AuthenticationException unknownKey() {
    return new AuthenticationException(
        "invalid_api_key", "Incorrect API key provided. Keys are shown once, when created.");
  }

  /** A new secret: the prefix and 40 random alphanumerics. */
  public static String newSecret() {
    StringBuilder b = new StringBuilder(SECRET_PREFIX);
    for (int i = 0; i < SECRET_CHARACTERS; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  /** What is stored of a secret. */
  public static String sha256(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
