package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.AuditLog;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.application.TenantView;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.PlatformException;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;
import java.io.StringReader;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * The audit log's one writer: every mutation of the administration API ({@code POST}, {@code PUT},
 * {@code PATCH}, {@code DELETE} under {@code /v1/admin}) that took effect (2xx) is recorded with
 * who made it, the endpoint and its target, the state before (for the changes and deletions of
 * tenants, keys and users) and after (the answer), secrets redacted, and the request id.
 */
@Provider
@Priority(Priorities.AUTHENTICATION + 600) // after authorization: a refused request changed nothing
public class AuditFilter implements ContainerRequestFilter, ContainerResponseFilter {

  private static final String BEFORE = "llada.audit.before";

  /** Field names whose values never reach the log. */
  static final Set<String> SECRET_FIELDS =
      Set.of("secret", "password", "client_secret", "access_token", "refresh_token", "token");

  @Inject RequestContext context;
  @Inject Tenancy tenancy;
  @Inject AuditLog audit;
  @Context ResourceInfo resource;

  private static boolean audited(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath(false).replaceFirst("^/", "");
    return (path.equals("admin") || path.startsWith("admin/"))
        && Set.of("POST", "PUT", "PATCH", "DELETE").contains(request.getMethod());
  }

  @Override
  public void filter(ContainerRequestContext request) {
    if (!audited(request) || "POST".equals(request.getMethod())) {
      return;
    }
    MultivaluedMap<String, String> p = request.getUriInfo().getPathParameters();
    String slug = p.getFirst("slug");
    String id = p.getFirst("id");
    String endpoint = action();
    try {
      Object before =
          switch (endpoint) {
            case "PATCH /v1/admin/tenants/{slug}", "DELETE /v1/admin/tenants/{slug}" ->
                tenancy.tenant(slug);
            case "DELETE /v1/admin/tenants/{slug}/keys/{id}" ->
                tenancy.keys(slug).stream()
                    .filter(k -> k.id().toString().equals(id))
                    .findFirst()
                    .orElse(null);
            case "DELETE /v1/admin/tenants/{slug}/users/{id}" ->
                tenancy.users(slug).stream()
                    .filter(u -> u.id().toString().equals(id))
                    .findFirst()
                    .orElse(null);
            default -> null;
          };
      if (before != null) {
        request.setProperty(BEFORE, JsonbConfiguration.toJson(before));
      }
    } catch (PlatformException unknown) {
      // nothing there before; the endpoint answers the 404 itself
    }
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    int status = response.getStatus();
    if (status < 200 || status >= 300 || !audited(request)) {
      return;
    }
    Caller caller = RequestLogFilter.context(request, context).callerOrNull();
    if (caller == null) {
      return;
    }
    Object entity = response.getEntity();
    String after =
        entity == null
            ? null
            : redact(
                entity instanceof JsonStructure json
                    ? json.toString()
                    : JsonbConfiguration.toJson(entity));
    Object before = request.getProperty(BEFORE);
    audit.record(
        new AuditLog.Entry(
            0,
            Instant.now(),
            caller.keyPrefix(),
            caller.tenantId(),
            entity instanceof TenantView created ? created.id() : tenantOf(request),
            action(),
            request.getUriInfo().getPath(false),
            before instanceof String b ? redact(b) : null,
            after,
            status,
            RequestLogFilter.context(request, context).requestId()));
  }

  /** The tenant a mutation concerns: its {@code {slug}} or {@code ?tenant=}, else none. */
  private UUID tenantOf(ContainerRequestContext request) {
    String slug = request.getUriInfo().getPathParameters().getFirst("slug");
    if (slug == null && request.getUriInfo().getPath(false).contains("aliases/")) {
      slug = request.getUriInfo().getQueryParameters().getFirst("tenant");
    }
    if (slug == null) {
      return null;
    }
    try {
      TenantView t = tenancy.tenant(slug);
      return t.id();
    } catch (PlatformException gone) {
      return null;
    }
  }

  /** The matched endpoint, e.g. "DELETE /v1/admin/tenants/{slug}/keys/{id}". */
  private String action() {
    return EndpointAccess.endpoint(resource.getResourceClass(), resource.getResourceMethod());
  }

  /** The JSON with every secret field's value replaced; text that is not JSON is dropped. */
  static String redact(String json) {
    if (json == null || json.isBlank()) {
      return null;
    }
    try (var reader = Json.createReader(new StringReader(json))) {
      return redact(reader.readValue()).toString();
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  private static JsonValue redact(JsonValue v) {
    if (v instanceof JsonObject o) {
      JsonObjectBuilder b = Json.createObjectBuilder();
      o.forEach(
          (k, x) ->
              b.add(
                  k,
                  SECRET_FIELDS.contains(k.toLowerCase(java.util.Locale.ROOT))
                      ? Json.createValue("[redacted]")
                      : redact(x)));
      return b.build();
    }
    if (v instanceof jakarta.json.JsonArray a) {
      JsonArrayBuilder b = Json.createArrayBuilder();
      a.forEach(x -> b.add(redact(x)));
      return b.build();
    }
    return v;
  }
}
