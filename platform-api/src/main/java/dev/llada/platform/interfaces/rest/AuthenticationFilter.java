package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.Identity;
import dev.llada.platform.domain.IdentityPolicy;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.infrastructure.security.AccessTokens;
import dev.llada.platform.infrastructure.security.FailedAuthentications;
import dev.llada.platform.infrastructure.security.IdentityProvider;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Bearer authentication for every {@code /v1} path, with one of three credentials: a tenant API key
 * ({@code llk_...}, for machine clients); an access token of the identity provider (a JWT, for
 * people and service accounts; {@link IdentityProvider}), whose roles and tenant decide what it may
 * do ({@link IdentityPolicy}); or the platform's master key ({@code llada.master.key}, env {@code
 * LLADA_MASTER_KEY}), the break-glass credential. What each may then call is {@link
 * AccessFilter}'s.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class AuthenticationFilter implements ContainerRequestFilter {

  @Inject RequestContext context;
  @Inject Tenancy tenancy;
  @Inject IdentityProvider identityProvider;
  @Inject FailedAuthentications failures;
  @Context HttpServletRequest servlet;

  @Inject
  @ConfigProperty(name = "llada.master.key")
  Optional<String> masterKey;

  @Override
  public void filter(ContainerRequestContext request) {
    String source = servlet.getRemoteAddr();
    failures.check(source); // a source that keeps failing is refused before anything is looked up
    try {
      authenticate(request);
    } catch (AuthenticationException e) {
      failures.failed(source);
      throw e;
    }
  }

  private void authenticate(ContainerRequestContext request) {
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      throw new AuthenticationException(
          "missing_api_key",
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.");
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new AuthenticationException(
          "invalid_authorization", "Use 'Authorization: Bearer <key>'.");
    }
    String secret = header.substring(7).trim();
    if (isMasterKey(secret)) {
      context.authenticated(Caller.admin());
      return;
    }
    if (AccessTokens.looksLikeJwt(secret)) {
      Identity identity = identityProvider.verify(secret);
      IdentityPolicy.Grant grant = IdentityPolicy.grant(identity, tenantHeader(request));
      String label = "user:" + identity.name();
      context.authenticated(
          grant.tenantSlug() == null
              ? Caller.platform(grant.scopes(), label)
              : tenancy.member(grant.tenantSlug(), grant.scopes(), label));
      return;
    }
    context.authenticated(tenancy.authenticate(secret));
  }

  private static String tenantHeader(ContainerRequestContext request) {
    String t = request.getHeaderString(IdentityPolicy.TENANT_HEADER);
    if (t == null) {
      return null;
    }
    if (t.isBlank() || t.length() > 64) {
      throw new InvalidRequestException(
          IdentityPolicy.TENANT_HEADER, IdentityPolicy.TENANT_HEADER + " must name a tenant slug.");
    }
    return t.strip();
  }

  /** The shortest master key accepted, here as in the launcher. */
  static final int MASTER_KEY_MIN_LENGTH = 16;

  private static final Logger LOG = Logger.getLogger(AuthenticationFilter.class.getName());
  private static final AtomicBoolean WARNED = new AtomicBoolean();

  private boolean isMasterKey(String secret) {
    return isMasterKey(masterKey, secret);
  }

  /**
   * Whether {@code secret} is the configured master key: compared in constant time, and never when
   * the configured key is shorter than {@link #MASTER_KEY_MIN_LENGTH} (then the master key is off).
   */
  static boolean isMasterKey(Optional<String> configured, String secret) {
    return configured
        .filter(k -> !k.isBlank())
        .filter(
            k -> {
              if (k.length() >= MASTER_KEY_MIN_LENGTH) {
                return true;
              }
              if (WARNED.compareAndSet(false, true)) {
                LOG.severe(
                    "llada.master.key (LLADA_MASTER_KEY) is shorter than "
                        + MASTER_KEY_MIN_LENGTH
                        + " characters and is refused: the master key is disabled.");
              }
              return false;
            })
        .map(
            k ->
                MessageDigest.isEqual(
                    k.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8)))
        .orElse(false);
  }
}
