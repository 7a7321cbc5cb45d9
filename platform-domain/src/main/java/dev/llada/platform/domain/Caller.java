package dev.llada.platform.domain;

import java.util.Set;
import java.util.UUID;

/**
 * Who is calling: the platform (the master key, or a signed-in operator), or a tenant through one
 * of its API keys or one of its signed-in users.
 *
 * @param tenantId the tenant, null for the administrator
 * @param tenantSlug its slug, null for the administrator
 * @param apiKeyId the key used, null for the administrator and for signed-in users
 * @param keyPrefix the key's visible prefix, or "master", or "user:name", for logs
 * @param scopes what the key may do ({@link Scope})
 * @param storeBodies whether the tenant opted in to keeping request and response bodies
 * @param queueWeight the tenant's share of the worker's steps (weighted fair queueing; 1 = equal)
 */
public record Caller(
    UUID tenantId,
    String tenantSlug,
    UUID apiKeyId,
    String keyPrefix,
    Set<Scope> scopes,
    boolean storeBodies,
    int queueWeight) {

  /** A caller of weight 1. */
  public Caller(
      UUID tenantId,
      String tenantSlug,
      UUID apiKeyId,
      String keyPrefix,
      Set<Scope> scopes,
      boolean storeBodies) {
    this(tenantId, tenantSlug, apiKeyId, keyPrefix, scopes, storeBodies, 1);
  }

  /** The administrator: every scope, no tenant. */
  public static Caller admin() {
    return new Caller(null, null, null, "master", Set.of(Scope.values()), false);
  }

  /** A signed-in user acting for the whole platform (platform-admin, or a viewer of no tenant). */
  public static Caller platform(Set<Scope> scopes, String label) {
    return new Caller(null, null, null, label, scopes, false);
  }

  /** Whether this caller acts for the whole platform rather than for one tenant. */
  public boolean isAdmin() {
    return tenantId == null;
  }

  /** Throws 403 unless this caller holds {@code scope}. */
  public void require(Scope scope) {
    if (!scopes.contains(scope)) {
      throw new PermissionDeniedException(
          "insufficient_scope",
          null,
          "This API key lacks the scope '" + scope.wire() + "' needed for this request.");
    }
  }
}
