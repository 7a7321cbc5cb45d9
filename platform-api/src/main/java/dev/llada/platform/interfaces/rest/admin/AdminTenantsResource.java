package dev.llada.platform.interfaces.rest.admin;

import dev.llada.platform.application.Drift;
import dev.llada.platform.application.KeyView;
import dev.llada.platform.application.QuotaLedger;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.application.TenantLifecycle;
import dev.llada.platform.application.TenantView;
import dev.llada.platform.application.UserView;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.PermissionDeniedException;
import dev.llada.platform.domain.Scope;
import dev.llada.platform.domain.TenantPolicy;
import dev.llada.platform.interfaces.rest.JsonFields;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/admin/tenants}: tenants, their limits and entitlements, their API keys, and the
 * reconciliation of their quota counters against the ledger. Who may call each endpoint: {@link
 * dev.llada.platform.interfaces.rest.EndpointAccess}.
 */
@Path("admin/tenants")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Administration")
public class AdminTenantsResource {

  @Inject Tenancy tenancy;
  @Inject QuotaLedger ledger;
  @Inject RequestContext context;
  @Inject TenantLifecycle lifecycle;
  @Inject AdminAuditResource audit;

  /** A list in OpenAI's shape. */
  public record Page<T>(String object, List<T> data) {
    static <T> Page<T> of(List<T> data) {
      return new Page<>("list", data);
    }
  }

  @POST
  @Operation(summary = "Create a tenant")
  public Response create(JsonObject body) {
    JsonObject b = JsonFields.body(body);
    Limits ceilings = TenantBodies.ceilings(b); // checked before anything is created
    TenantView t =
        tenancy.createTenant(
            JsonFields.requiredString(b, "slug"),
            JsonFields.string(b, "display_name", JsonFields.string(b, "slug", null)),
            TenantBodies.limits(JsonFields.object(b, "limits")),
            TenantBodies.variants(JsonFields.strings(b, "entitlements")),
            TenantPolicy.queueWeight(JsonFields.integer(b, "queue_weight", null)));
    if (ceilings != null) {
      t = tenancy.limitCeilings(t.slug(), ceilings);
    }
    return Response.status(201).entity(t).build();
  }

  /** The fields of a tenant a platform admin alone may change. */
  private static final List<String> PLATFORM_FIELDS =
      List.of("status", "store_bodies", "entitlements", "queue_weight", "limit_ceilings");

  @GET
  @Operation(summary = "List tenants")
  public Page<TenantView> list() {
    return Page.of(tenancy.listTenants());
  }

  @GET
  @Path("{slug}")
  @Operation(summary = "Retrieve a tenant")
  public TenantView get(@PathParam("slug") String slug) {
    return tenancy.tenant(slug);
  }

  @DELETE
  @Path("{slug}")
  @Operation(
      summary = "Delete a tenant",
      description =
          "A tombstone (docs/adr/0007): every key revoked; users, entitlements, aliases, request"
              + " log and idempotent responses removed; the usage ledger kept. Export first.")
  public TenantView delete(@PathParam("slug") String slug) {
    return lifecycle.delete(slug);
  }

  @GET
  @Path("{slug}/export")
  @Operation(summary = "Everything the platform keeps about a tenant, secrets excepted")
  public Map<String, Object> export(@PathParam("slug") String slug) {
    return lifecycle.export(slug);
  }

  @PATCH
  @Path("{slug}")
  @Operation(
      summary = "Change a tenant's limits, status, body storage, entitlements or queue weight")
  public TenantView update(@PathParam("slug") String slug, JsonObject body) {
    JsonObject b = JsonFields.body(body);
    if (!context.caller().scopes().contains(Scope.ADMIN)) {
      // a tenant-admin: its own tenant's limits, up to the ceilings the platform set
      for (String field : PLATFORM_FIELDS) {
        if (b.containsKey(field)) {
          throw new PermissionDeniedException(
              "field_not_allowed", field, "Only a platform admin may change '" + field + "'.");
        }
      }
      return JsonFields.present(b, "limits")
          ? tenancy.limitsWithinCeilings(slug, TenantBodies.limits(JsonFields.object(b, "limits")))
          : tenancy.tenant(slug);
    }
    Limits ceilings = TenantBodies.ceilings(b);
    TenantView updated =
        tenancy.updateTenant(
            slug,
            JsonFields.present(b, "limits")
                ? TenantBodies.limits(JsonFields.object(b, "limits"))
                : null,
            JsonFields.string(b, "status", null),
            JsonFields.bool(b, "store_bodies", null),
            TenantBodies.variants(JsonFields.strings(b, "entitlements")),
            TenantPolicy.queueWeight(JsonFields.integer(b, "queue_weight", null)));
    return ceilings == null ? updated : tenancy.limitCeilings(slug, ceilings);
  }

  @POST
  @Path("{slug}/keys")
  @Operation(summary = "Create an API key (the secret is in this response only)")
  public Response createKey(@PathParam("slug") String slug, JsonObject body) {
    JsonObject b = JsonFields.body(body);
    List<String> scopeNames = JsonFields.strings(b, "scopes");
    Set<Scope> scopes;
    try {
      scopes = scopeNames == null ? null : Scope.parse(String.join(",", scopeNames));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("scopes", e.getMessage());
    }
    String expires = JsonFields.string(b, "expires_at", null);
    Instant expiresAt;
    try {
      expiresAt = expires == null ? null : Instant.parse(expires);
    } catch (DateTimeParseException e) {
      throw new InvalidRequestException(
          "expires_at", "expires_at must be an ISO-8601 instant such as 2027-01-31T00:00:00Z");
    }
    String createdBy = JsonFields.string(b, "created_by", null);
    KeyView key =
        tenancy.createKey(
            slug,
            JsonFields.requiredString(b, "name"),
            scopes,
            TenantBodies.limits(JsonFields.object(b, "limits")),
            expiresAt,
            createdBy == null ? null : uuid("created_by", createdBy));
    return Response.status(201).entity(key).build();
  }

  @GET
  @Path("{slug}/keys")
  @Operation(summary = "List a tenant's API keys (prefixes only)")
  public Page<KeyView> keys(@PathParam("slug") String slug) {
    return Page.of(tenancy.keys(slug));
  }

  /** How long a rotated key's predecessor works when the request does not say. */
  static final long DEFAULT_GRACE_SECONDS = 86_400;

  @POST
  @Path("{slug}/keys/{id}/rotate")
  @Operation(
      summary = "Rotate an API key",
      description =
          "A new secret (in this response only) with the same name, scopes, limits and expiry;"
              + " the old key keeps working for grace_seconds (default 86400, at most 30 days),"
              + " then expires.")
  public Response rotate(
      @PathParam("slug") String slug, @PathParam("id") String id, JsonObject body) {
    Long grace =
        body == null
            ? DEFAULT_GRACE_SECONDS
            : JsonFields.integer(body, "grace_seconds", DEFAULT_GRACE_SECONDS);
    KeyView key = tenancy.rotateKey(slug, uuid("id", id), java.time.Duration.ofSeconds(grace));
    return Response.status(201).entity(key).build();
  }

  @DELETE
  @Path("{slug}/keys/{id}")
  @Operation(summary = "Revoke an API key")
  public KeyView revoke(@PathParam("slug") String slug, @PathParam("id") String id) {
    return tenancy.revokeKey(slug, uuid("id", id));
  }

  @POST
  @Path("{slug}/users")
  @Operation(summary = "Map an identity provider subject to the tenant")
  public Response addUser(@PathParam("slug") String slug, JsonObject body) {
    JsonObject b = JsonFields.body(body);
    UserView user =
        tenancy.addUser(
            slug,
            JsonFields.requiredString(b, "issuer"),
            JsonFields.requiredString(b, "subject"),
            JsonFields.string(b, "email", null),
            JsonFields.string(b, "role", null));
    return Response.status(201).entity(user).build();
  }

  @GET
  @Path("{slug}/users")
  @Operation(summary = "The tenant's users")
  public Page<UserView> users(@PathParam("slug") String slug) {
    return Page.of(tenancy.users(slug));
  }

  @DELETE
  @Path("{slug}/users/{id}")
  @Operation(summary = "Remove a user from the tenant")
  public Response removeUser(@PathParam("slug") String slug, @PathParam("id") String id) {
    tenancy.removeUser(slug, uuid("id", id));
    return Response.noContent().build();
  }

  private static UUID uuid(String param, String value) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(param, "'" + value + "' is not an id.");
    }
  }

  @GET
  @Path("{slug}/usage/drift")
  @Operation(summary = "Quota counters that disagree with the usage ledger")
  public Map<String, Object> drift(@PathParam("slug") String slug) {
    List<Drift> drift = ledger.drift(tenancy.tenant(slug).id());
    return Map.of("tenant", slug, "consistent", drift.isEmpty(), "drift", drift);
  }

  @GET
  @Path("{slug}/audit")
  @Operation(summary = "One tenant's audit log (filters and paging as /v1/admin/audit)")
  public JsonObject audit(
      @PathParam("slug") String slug,
      @QueryParam("actor") String actor,
      @QueryParam("action") String action,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit) {
    return audit.page(tenancy.tenant(slug).id(), actor, action, since, until, after, limit);
  }

  @POST
  @Path("{slug}/usage/reconcile")
  @Operation(summary = "Rebuild a tenant's quota counters from the usage ledger")
  public Map<String, Object> reconcile(@PathParam("slug") String slug) {
    List<Drift> fixed = ledger.reconcile(tenancy.tenant(slug).id());
    return Map.of("tenant", slug, "repaired", fixed);
  }
}
