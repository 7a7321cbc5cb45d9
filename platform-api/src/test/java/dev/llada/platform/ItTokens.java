package dev.llada.platform;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Access tokens minted for the integration tests, as Keycloak would issue them: the platform under
 * test reads the public half from {@code it-jwks.json} (arquillian.xml points {@code
 * mp.jwt.verify.publickey.location} at it) and trusts the issuer below.
 */
final class ItTokens {

  static final String ISSUER = "https://it-idp.test/realms/platform";
  static final String AUDIENCE = "platform-api";

  private static final RSAKey KEY = generate("it-key");
  private static final RSAKey FORGER = generate("it-key"); // same kid, another key

  static {
    Path jwks = Path.of(System.getProperty("it.tmpdir", "target"), "it-jwks.json");
    try {
      Files.writeString(jwks, new JWKSet(KEY.toPublicJWK()).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ItTokens() {}

  private static RSAKey generate(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A valid token of user {@code name} with {@code roles}, member of {@code tenants}. */
  static String token(String name, List<String> roles, String... tenants) {
    return sign(KEY, claims(name, roles, tenants));
  }

  /** A token edited after the valid claims were set. */
  static String token(String name, UnaryOperator<JWTClaimsSet.Builder> edit) {
    return sign(KEY, edit.apply(claims(name, List.of("tenant-user"))));
  }

  static String forged(String name, List<String> roles, String... tenants) {
    return sign(FORGER, claims(name, roles, tenants));
  }

  static String unsigned(String name, List<String> roles, String... tenants) {
    return new PlainJWT(claims(name, roles, tenants).build()).serialize();
  }

  private static JWTClaimsSet.Builder claims(String name, List<String> roles, String... tenants) {
    long now = System.currentTimeMillis();
    JWTClaimsSet.Builder b =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject(UUID.nameUUIDFromBytes(name.getBytes()).toString())
            .audience(AUDIENCE)
            .jwtID(UUID.randomUUID().toString())
            .issueTime(new Date(now - 1_000))
            .expirationTime(new Date(now + 300_000))
            .claim("preferred_username", name)
            .claim("typ", "Bearer")
            .claim("groups", roles);
    if (tenants.length == 1) {
      b.claim("tenant", tenants[0]);
    } else if (tenants.length > 1) {
      b.claim("tenant", List.of(tenants));
    }
    return b;
  }

  private static String sign(RSAKey key, JWTClaimsSet.Builder claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .type(JOSEObjectType.JWT)
                  .keyID(key.getKeyID())
                  .build(),
              claims.build());
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
