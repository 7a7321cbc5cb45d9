package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.RequestContext;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.platform.domain.PermissionDeniedException;
import dev.llada.platform.domain.Scope;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;
import java.util.Set;

/**
 * Authorization, in one place: the authenticated caller against {@link EndpointAccess}'s rule for
 * the matched endpoint. Runs after authentication and before anything is claimed or reserved.
 */
@Provider
@Priority(Priorities.AUTHENTICATION + 500)
public class AccessFilter implements ContainerRequestFilter {

  private static final Set<Scope> ADMINISTRATION =
      Set.of(Scope.ADMIN, Scope.PLATFORM_READ, Scope.TENANT_READ, Scope.TENANT_WRITE);

  @Inject RequestContext context;
  @Context ResourceInfo resource;

  @Override
  public void filter(ContainerRequestContext request) {
    if ("OPTIONS".equals(request.getMethod())) {
      return; // Jersey's own answer (Allow), to an authenticated caller; no resource runs
    }
    Caller caller = context.caller();
    EndpointAccess.Rule rule =
        EndpointAccess.of(resource.getResourceClass(), resource.getResourceMethod())
            .orElseThrow(
                () ->
                    new PermissionDeniedException(
                        "not_allowed", null, "No caller may use this endpoint."));
    if (!caller.scopes().contains(rule.scope())) {
      throw refusal(caller, rule.scope());
    }
    if (rule.billed() && caller.isAdmin()) {
      throw new PermissionDeniedException(
          "tenant_key_required",
          null,
          "Running a model needs a tenant to bill: use a tenant's API key or a tenant member's"
              + " access token.");
    }
    if (rule.tenantScoped() && caller.tenantId() != null) {
      String slug = request.getUriInfo().getPathParameters().getFirst("slug");
      if (!caller.tenantSlug().equals(slug)) {
        // another tenant's resources do not exist for this caller
        throw new NotFoundException("tenant_not_found", "tenant", "No tenant '" + slug + "'.");
      }
    }
  }

  private static PermissionDeniedException refusal(Caller caller, Scope scope) {
    if (caller.apiKeyId() != null && ADMINISTRATION.contains(scope)) {
      return new PermissionDeniedException(
          "admin_only",
          null,
          "The administration API takes the platform's master key or an administrator's access"
              + " token, not a tenant's API key.");
    }
    return new PermissionDeniedException(
        "insufficient_scope",
        null,
        (caller.apiKeyId() != null ? "This API key lacks" : "This caller lacks")
            + " the scope '"
            + scope.wire()
            + "' needed for this request.");
  }
}
