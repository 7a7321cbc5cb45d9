package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.PermissionDeniedException;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Bearer authentication for every {@code /v1} path: a tenant API key ({@code llk_...}), or the
 * platform's master key ({@code llada.master.key}, env {@code LLADA_MASTER_KEY}) which alone may
 * call {@code /v1/admin/...}. Without a configured master key the admin API is closed.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class AuthenticationFilter implements ContainerRequestFilter {

  @Inject RequestContext context;
  @Inject Tenancy tenancy;

  @Inject
  @ConfigProperty(name = "llada.master.key")
  Optional<String> masterKey;

  @Override
  public void filter(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath(false).replaceFirst("^/", "");
    boolean admin = path.equals("admin") || path.startsWith("admin/");
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
    if (admin) {
      // a credential that is no key at all is a 401 here as everywhere; a tenant's valid key is
      // a 403: it authenticates, but not for this API
      tenancy.authenticate(secret);
      throw masterKey.filter(k -> !k.isBlank()).isPresent()
          ? new PermissionDeniedException(
              "admin_only", null, "The administration API takes the platform's master key.")
          : new PermissionDeniedException(
              "admin_disabled",
              null,
              "The administration API is disabled: no master key is configured (LLADA_MASTER_KEY).");
    }
    context.authenticated(tenancy.authenticate(secret));
  }

  private boolean isMasterKey(String secret) {
    return masterKey
        .filter(k -> !k.isBlank())
        .map(
            k ->
                MessageDigest.isEqual(
                    k.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8)))
        .orElse(false);
  }
}
