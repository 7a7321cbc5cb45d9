package dev.llada.platform.infrastructure.security;

import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Identity;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The identity provider (Keycloak) whose access tokens the API accepts, configured with
 * MicroProfile JWT's keys: {@code mp.jwt.verify.issuer}, {@code mp.jwt.verify.publickey.location}
 * (a JWKS URL or file), {@code mp.jwt.verify.audiences} and {@code mp.jwt.verify.clock.skew}
 * (seconds), plus {@code llada.jwt.max-lifetime-seconds}. Without an issuer, tokens are refused.
 */
@ApplicationScoped
public class IdentityProvider {

  private static final Logger LOG = Logger.getLogger(IdentityProvider.class.getName());

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuer;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.location")
  Optional<String> keys;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<String> audiences;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "30")
  long clockSkewSeconds;

  @Inject
  @ConfigProperty(name = "llada.jwt.max-lifetime-seconds", defaultValue = "3600")
  long maxLifetimeSeconds;

  private AccessTokens tokens;
  private String disabledBecause;

  @PostConstruct
  void configure() {
    Set<String> aud =
        Arrays.stream(audiences.orElse("").split(","))
            .map(String::strip)
            .filter(a -> !a.isEmpty())
            .collect(Collectors.toUnmodifiableSet());
    if (issuer.filter(i -> !i.isBlank()).isEmpty()) {
      disabledBecause = "no identity provider is configured (mp.jwt.verify.issuer)";
      LOG.info("Access tokens are refused: " + disabledBecause + ".");
      return;
    }
    if (keys.filter(k -> !k.isBlank()).isEmpty() || aud.isEmpty()) {
      disabledBecause =
          "the identity provider is configured without mp.jwt.verify.publickey.location or"
              + " mp.jwt.verify.audiences";
      LOG.warning("Access tokens are refused: " + disabledBecause + ".");
      return;
    }
    try {
      tokens =
          new AccessTokens(
              AccessTokens.keysAt(keys.get().strip()),
              issuer.get().strip(),
              aud,
              Duration.ofSeconds(Math.max(0, clockSkewSeconds)),
              Duration.ofSeconds(Math.max(60, maxLifetimeSeconds)));
      LOG.info(
          "Access tokens of " + issuer.get().strip() + " are accepted (audience " + aud + ").");
    } catch (RuntimeException e) {
      // a bad setting refuses tokens; it must not break the API keys and the master key
      disabledBecause = e.getMessage();
      LOG.warning("Access tokens are refused: " + disabledBecause + ".");
    }
  }

  /** Whether access tokens are accepted at all. */
  public boolean enabled() {
    return tokens != null;
  }

  /** The identity a bearer token stands for; 401 when it does not verify or tokens are off. */
  public Identity verify(String token) {
    if (tokens == null) {
      // the reason is the operator's (logged at start), not the caller's
      throw new AuthenticationException("invalid_token", "Access tokens are not accepted here.");
    }
    return tokens.verify(token);
  }
}
