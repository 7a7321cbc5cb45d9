package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.Scope;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;

/**
 * Who may call what: every endpoint of the API and the scope it takes, in one table (the roles'
 * scopes are {@link dev.llada.platform.domain.Role}'s, the keys' are their own). A tenant-scoped
 * endpoint ({@code {slug}} in its path) further requires a caller bound to a tenant to name its own
 * tenant; another tenant's slug is answered 404, as if there were none. A billed endpoint runs a
 * model and needs a tenant to bill. docs/SECURITY.md shows the table and says which test proves it.
 */
public final class EndpointAccess {

  /**
   * What an endpoint takes.
   *
   * @param scope the scope the caller must hold
   * @param tenantScoped whether its {@code {slug}} must be the caller's own tenant
   * @param billed whether it runs a model, which needs a tenant to bill: the platform's callers
   *     (master key, platform-admin) are refused
   */
  public record Rule(Scope scope, boolean tenantScoped, boolean billed) {}

  private static Rule any(Scope s) {
    return new Rule(s, false, false);
  }

  private static Rule ownTenant(Scope s) {
    return new Rule(s, true, false);
  }

  private static Rule billed(Scope s) {
    return new Rule(s, false, true);
  }

  /** "METHOD /v1/path/{param}" to its rule; an endpoint missing here is refused to everyone. */
  static final Map<String, Rule> RULES =
      Map.ofEntries(
          Map.entry("GET /v1/models", any(Scope.MODELS_READ)),
          Map.entry("GET /v1/models/{model}", any(Scope.MODELS_READ)),
          Map.entry("POST /v1/completions", billed(Scope.INFERENCE)),
          Map.entry("POST /v1/chat/completions", billed(Scope.INFERENCE)),
          Map.entry("POST /v1/diffusion/generate", billed(Scope.INFERENCE)),
          Map.entry("POST /v1/loglikelihood", billed(Scope.INFERENCE)),
          Map.entry("POST /v1/requests/{id}/cancel", any(Scope.INFERENCE)),
          Map.entry("GET /v1/usage", any(Scope.USAGE_READ)),
          Map.entry("POST /v1/files", any(Scope.FILES)),
          Map.entry("GET /v1/files", any(Scope.FILES)),
          Map.entry("GET /v1/files/{file_id}", any(Scope.FILES)),
          Map.entry("GET /v1/files/{file_id}/content", any(Scope.FILES)),
          Map.entry("DELETE /v1/files/{file_id}", any(Scope.FILES)),
          Map.entry("POST /v1/batches", any(Scope.INFERENCE)),
          Map.entry("GET /v1/batches", any(Scope.INFERENCE)),
          Map.entry("GET /v1/batches/{batch_id}", any(Scope.INFERENCE)),
          Map.entry("POST /v1/batches/{batch_id}/cancel", any(Scope.INFERENCE)),
          Map.entry("GET /v1/admin/usage", any(Scope.PLATFORM_READ)),
          Map.entry("GET /v1/admin/audit", any(Scope.PLATFORM_READ)),
          Map.entry("GET /v1/admin/tenants/{slug}/audit", ownTenant(Scope.TENANT_READ)),
          Map.entry("POST /v1/admin/tenants", any(Scope.ADMIN)),
          Map.entry("GET /v1/admin/tenants", any(Scope.PLATFORM_READ)),
          Map.entry("GET /v1/admin/tenants/{slug}", ownTenant(Scope.TENANT_READ)),
          Map.entry("PATCH /v1/admin/tenants/{slug}", ownTenant(Scope.TENANT_WRITE)),
          Map.entry("DELETE /v1/admin/tenants/{slug}", any(Scope.ADMIN)),
          Map.entry("GET /v1/admin/tenants/{slug}/export", ownTenant(Scope.TENANT_READ)),
          Map.entry("POST /v1/admin/tenants/{slug}/keys", ownTenant(Scope.TENANT_WRITE)),
          Map.entry("GET /v1/admin/tenants/{slug}/keys", ownTenant(Scope.TENANT_READ)),
          Map.entry("DELETE /v1/admin/tenants/{slug}/keys/{id}", ownTenant(Scope.TENANT_WRITE)),
          Map.entry(
              "POST /v1/admin/tenants/{slug}/keys/{id}/rotate", ownTenant(Scope.TENANT_WRITE)),
          Map.entry("POST /v1/admin/tenants/{slug}/users", ownTenant(Scope.TENANT_WRITE)),
          Map.entry("GET /v1/admin/tenants/{slug}/users", ownTenant(Scope.TENANT_READ)),
          Map.entry("DELETE /v1/admin/tenants/{slug}/users/{id}", ownTenant(Scope.TENANT_WRITE)),
          Map.entry("GET /v1/admin/tenants/{slug}/usage/drift", ownTenant(Scope.TENANT_READ)),
          Map.entry("POST /v1/admin/tenants/{slug}/usage/reconcile", any(Scope.ADMIN)),
          Map.entry("POST /v1/admin/models", any(Scope.ADMIN)),
          Map.entry("GET /v1/admin/models/{name}/versions", any(Scope.PLATFORM_READ)),
          Map.entry("GET /v1/admin/models/{name}/versions/{version}", any(Scope.PLATFORM_READ)),
          Map.entry("PATCH /v1/admin/models/{name}/versions/{version}/tags", any(Scope.ADMIN)),
          Map.entry(
              "GET /v1/admin/models/{name}/versions/{version}/lineage", any(Scope.PLATFORM_READ)),
          Map.entry("PUT /v1/admin/aliases/{alias}", any(Scope.ADMIN)),
          Map.entry("POST /v1/admin/aliases/{alias}/rollback", any(Scope.ADMIN)),
          Map.entry("GET /v1/admin/aliases/{alias}/history", any(Scope.PLATFORM_READ)));

  private EndpointAccess() {}

  /** The rule of a resource method, empty when the table lacks it. */
  public static Optional<Rule> of(Class<?> resource, Method method) {
    return Optional.ofNullable(RULES.get(endpoint(resource, method)));
  }

  /** "METHOD /v1/path" of a resource method, path parameters without their regular expressions. */
  public static String endpoint(Class<?> resource, Method method) {
    Path type = resource.getAnnotation(Path.class);
    Path own = method.getAnnotation(Path.class);
    String path =
        ("/v1/" + (type == null ? "" : type.value()) + "/" + (own == null ? "" : own.value()))
            .replaceAll("\\{\\s*(\\w+)\\s*:[^}]*}", "{$1}")
            .replaceAll("/+", "/")
            .replaceAll("/$", "");
    return httpMethod(method) + " " + path;
  }

  /** The HTTP method a resource method answers, null for none (a sub-resource locator). */
  public static String httpMethod(Method m) {
    if (m.isAnnotationPresent(GET.class)) {
      return "GET";
    }
    if (m.isAnnotationPresent(POST.class)) {
      return "POST";
    }
    if (m.isAnnotationPresent(PUT.class)) {
      return "PUT";
    }
    if (m.isAnnotationPresent(PATCH.class)) {
      return "PATCH";
    }
    if (m.isAnnotationPresent(DELETE.class)) {
      return "DELETE";
    }
    return null;
  }
}
