package dev.llada.platform.infrastructure.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Identity;
import dev.llada.platform.domain.Role;
import dev.llada.platform.domain.ServiceUnavailableException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies the identity provider's access tokens offline, as MicroProfile JWT specifies (signature
 * against the JWKS, issuer, audience, expiry with a clock skew), and reads the identity out of
 * them: roles from {@code groups}, tenants from {@code tenant}. Why not Payara's own MP-JWT
 * mechanism: docs/adr/0013.
 */
public final class AccessTokens {

  /**
   * Public-key algorithms only: an HMAC token signed with the public key as secret never passes.
   */
  private static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(
          JWSAlgorithm.RS256,
          JWSAlgorithm.RS384,
          JWSAlgorithm.RS512,
          JWSAlgorithm.PS256,
          JWSAlgorithm.PS384,
          JWSAlgorithm.PS512,
          JWSAlgorithm.ES256,
          JWSAlgorithm.ES384,
          JWSAlgorithm.ES512);

  private static final Pattern JWT_SHAPE =
      Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*");

  private final ConfigurableJWTProcessor<SecurityContext> processor;
  private final Duration maxLifetime;

  /**
   * @param keys the identity provider's public keys
   * @param issuer the only accepted {@code iss}
   * @param audiences accepted {@code aud} values (one must be present)
   * @param clockSkew tolerance on {@code exp} and {@code nbf}
   * @param maxLifetime the longest {@code exp - iat} accepted: long-lived tokens cannot be revoked
   */
  public AccessTokens(
      JWKSource<SecurityContext> keys,
      String issuer,
      Set<String> audiences,
      Duration clockSkew,
      Duration maxLifetime) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(
            new HashSet<>(audiences), // mutable: nimbus asks whether the set holds null
            // typ "Bearer": Keycloak's access tokens; its ID tokens ("ID") carry the same audience
            new JWTClaimsSet.Builder().issuer(issuer).claim("typ", "Bearer").build(),
            new HashSet<>(Set.of("sub", "exp", "iat")), // iat: the lifetime cap needs it
            null);
    claims.setMaxClockSkew((int) clockSkew.toSeconds());
    p.setJWTClaimsSetVerifier(claims);
    this.processor = p;
    this.maxLifetime = maxLifetime;
  }

  /**
   * The key source for {@code mp.jwt.verify.publickey.location}: an http(s) JWKS URL, cached and
   * refetched (rate-limited) when a token names a key it does not hold, so a rotation is picked up;
   * or a {@code file:} JWKS, read on each use.
   */
  public static JWKSource<SecurityContext> keysAt(String location) {
    URI uri = URI.create(location);
    if ("file".equals(uri.getScheme())) {
      Path file = Path.of(uri);
      return (selector, context) -> {
        try {
          return selector.select(JWKSet.load(file.toFile()));
        } catch (IOException | ParseException e) {
          throw new KeySourceException(
              "cannot read the JWKS file " + file + ": " + e.getMessage(), e);
        }
      };
    }
    try {
      URL url = uri.toURL();
      if ("http".equals(uri.getScheme()) && !isLoopback(uri.getHost())) {
        throw new IllegalArgumentException(
            "mp.jwt.verify.publickey.location must be https (plain http only on loopback): "
                + location);
      }
      return JWKSourceBuilder.create(url).retrying(true).build();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("mp.jwt.verify.publickey.location: " + e.getMessage(), e);
    }
  }

  private static boolean isLoopback(String host) {
    return host != null
        && (host.equals("localhost")
            || host.startsWith("127.")
            || host.equals("[::1]")
            || host.equals("::1"));
  }

  /** Whether a bearer credential has a JWT's shape (three base64url parts, a JSON header). */
  public static boolean looksLikeJwt(String credential) {
    return credential.length() <= 16_384 && JWT_SHAPE.matcher(credential).matches();
  }

  /**
   * The identity a token stands for.
   *
   * @throws AuthenticationException 401 for a token that is malformed, forged, expired, of another
   *     issuer or audience, or lives too long
   * @throws ServiceUnavailableException 503 when the identity provider's keys cannot be fetched
   */
  public Identity verify(String token) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (KeySourceException e) {
      throw new ServiceUnavailableException(
          "identity_provider_unavailable",
          "The identity provider's signing keys cannot be fetched; try again shortly.",
          5);
    } catch (BadJWTException e) {
      throw new AuthenticationException(
          e.getMessage() != null && e.getMessage().startsWith("Expired")
              ? "token_expired"
              : "invalid_token",
          "Access token rejected: " + e.getMessage() + ".");
    } catch (BadJOSEException | ParseException | com.nimbusds.jose.JOSEException e) {
      throw new AuthenticationException(
          "invalid_token", "Access token rejected: " + e.getMessage() + ".");
    }
    if (claims.getIssueTime() != null
        && claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()
            > maxLifetime.toMillis()) {
      throw new AuthenticationException(
          "invalid_token",
          "Access token rejected: it lives longer than "
              + maxLifetime.toSeconds()
              + " s; configure short access-token lifetimes at the identity provider.");
    }
    try {
      return new Identity(
          claims.getIssuer(),
          claims.getSubject(),
          name(claims),
          Role.of(strings(claims, "groups")),
          strings(claims, "tenant"));
    } catch (ParseException e) {
      throw new AuthenticationException(
          "invalid_token", "Access token rejected: " + e.getMessage() + ".");
    }
  }

  private static String name(JWTClaimsSet c) throws ParseException {
    for (String claim : List.of("preferred_username", "upn")) {
      String v = c.getStringClaim(claim);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return c.getSubject();
  }

  /** A claim that is a string or a list of strings; absent is empty. */
  private static List<String> strings(JWTClaimsSet c, String claim) throws ParseException {
    Object v = c.getClaim(claim);
    if (v == null) {
      return List.of();
    }
    if (v instanceof String s) {
      return List.of(s);
    }
    if (v instanceof Map<?, ?>) {
      throw new ParseException(
          "the '" + claim + "' claim must be a string or a list of strings", 0);
    }
    List<String> list = c.getStringListClaim(claim);
    if (list != null && list.stream().anyMatch(java.util.Objects::isNull)) {
      throw new ParseException("the '" + claim + "' claim holds a null", 0);
    }
    return list == null ? List.of() : list.stream().distinct().toList();
  }
}
