package dev.llada.platform.interfaces.rest.admin;

import dev.llada.platform.application.AuditLog;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.StringReader;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The audit log, read: every management mutation, oldest first, filtered and paged by id ({@code
 * after} = the last id of the previous page). Platform-wide here, for platform admins and viewers;
 * one tenant's at {@code /v1/admin/tenants/{slug}/audit} ({@link AdminTenantsResource}).
 */
@Path("admin/audit")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Administration")
public class AdminAuditResource {

  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 500;

  @Inject AuditLog audit;
  @Inject Tenancy tenancy;

  @GET
  @Operation(summary = "The audit log of the whole platform (tenant=slug to narrow it)")
  public JsonObject platform(
      @QueryParam("tenant") String tenant,
      @QueryParam("actor") String actor,
      @QueryParam("action") String action,
      @QueryParam("since") String since,
      @QueryParam("until") String until,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit) {
    UUID tenantId = tenant == null || tenant.isBlank() ? null : tenancy.tenant(tenant).id();
    return page(tenantId, actor, action, since, until, after, limit);
  }

  /** One page of entries as the API answers it; 400 for bad filters. */
  JsonObject page(
      UUID tenantId,
      String actor,
      String action,
      String since,
      String until,
      String after,
      String limit) {
    int n = number(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    long afterId = number(after, "after", 0, 0, Long.MAX_VALUE);
    List<AuditLog.Entry> entries =
        audit.list(
            new AuditLog.Query(
                tenantId,
                text(actor, "actor"),
                text(action, "action"),
                instant(since, "since"),
                instant(until, "until"),
                afterId,
                n + 1));
    boolean more = entries.size() > n;
    JsonArrayBuilder data = Json.createArrayBuilder();
    entries.stream().limit(n).forEach(e -> data.add(json(e)));
    JsonObjectBuilder out =
        Json.createObjectBuilder().add("object", "list").add("data", data).add("has_more", more);
    if (!entries.isEmpty()) {
      out.add("last_id", entries.get(Math.min(n, entries.size()) - 1).id());
    }
    return out.build();
  }

  private static JsonObject json(AuditLog.Entry e) {
    JsonObjectBuilder b =
        Json.createObjectBuilder()
            .add("id", e.id())
            .add("at", e.at().toString())
            .add("actor", e.actor())
            .add("action", e.action())
            .add("target", e.target())
            .add("status", e.status())
            .add("request_id", e.requestId().toString());
    if (e.actorTenantId() != null) {
      b.add("actor_tenant_id", e.actorTenantId().toString());
    }
    if (e.tenantId() != null) {
      b.add("tenant_id", e.tenantId().toString());
    }
    b.add("before", parsed(e.before()));
    b.add("after", parsed(e.after()));
    return b.build();
  }

  private static JsonValue parsed(String json) {
    if (json == null) {
      return JsonValue.NULL;
    }
    try (var r = Json.createReader(new StringReader(json))) {
      return r.readValue();
    }
  }

  private static String text(String v, String param) {
    if (v == null || v.isEmpty()) {
      return null;
    }
    if (v.length() > 200) {
      throw new InvalidRequestException(param, param + " must be at most 200 characters");
    }
    return v;
  }

  private static Instant instant(String v, String param) {
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new InvalidRequestException(
          param, param + " must be an ISO-8601 instant such as 2026-12-02T10:00:00Z");
    }
  }

  private static long number(String v, String param, long fallback, long min, long max) {
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new InvalidRequestException(
        param, param + " must be an integer from " + min + " to " + max);
  }

  private static int number(String v, String param, int fallback, int min, int max) {
    return (int) number(v, param, (long) fallback, (long) min, (long) max);
  }
}
