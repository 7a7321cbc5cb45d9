package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.Batch;
import dev.llada.platform.application.BatchService;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.StringReader;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * OpenAI's Batch API, tenant-scoped (docs/API.md, docs/adr/0020): create a batch from an uploaded
 * {@code batch} file, list, retrieve and cancel; the answers arrive in the batch's output and error
 * files ({@code /v1/files/{id}/content}). Another tenant's batch id is answered 404. The policy is
 * {@link BatchService}'s; the requests run on every platform JVM ({@link BatchRequests}).
 */
@Path("batches")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Batches")
public class BatchesResource {

  @Inject BatchService batches;
  @Inject RequestContext context;

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create a batch from an uploaded file of requests")
  public JsonObject create(JsonObject body) {
    return object(batches.create(tenantCaller(), JsonFields.body(body)));
  }

  @GET
  @Operation(summary = "List your tenant's batches, newest first")
  public JsonObject list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
    BatchService.Page page = batches.list(tenantCaller(), after, limit(limit));
    JsonArrayBuilder data = Json.createArrayBuilder();
    page.batches().forEach(b -> data.add(object(b)));
    JsonObjectBuilder out = Json.createObjectBuilder().add("object", "list").add("data", data);
    if (page.batches().isEmpty()) {
      out.addNull("first_id").addNull("last_id");
    } else {
      out.add("first_id", page.batches().get(0).id())
          .add("last_id", page.batches().get(page.batches().size() - 1).id());
    }
    return out.add("has_more", page.hasMore()).build();
  }

  @GET
  @Path("{batch_id}")
  @Operation(summary = "Retrieve a batch")
  public JsonObject get(@PathParam("batch_id") String id) {
    return object(batches.get(tenantCaller(), id));
  }

  @POST
  @Path("{batch_id}/cancel")
  @Operation(summary = "Cancel a batch: it is cancelling until its running requests stop")
  public JsonObject cancel(@PathParam("batch_id") String id) {
    return object(batches.cancel(tenantCaller(), id));
  }

  private static Integer limit(String raw) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    try {
      return Integer.valueOf(raw);
    } catch (NumberFormatException e) {
      throw new InvalidRequestException(
          "limit", "limit must be a whole number between 1 and " + BatchService.MAX_LIST + ".");
    }
  }

  /** Batches are a tenant's: the platform's own callers (master key, platform-admin) have none. */
  private Caller tenantCaller() {
    Caller caller = context.caller();
    if (caller.isAdmin() || caller.tenantId() == null) {
      throw new InvalidRequestException(
          "tenant_required",
          null,
          "Batches belong to a tenant; call with a tenant's key or token.");
    }
    return caller;
  }

  /** OpenAI's batch object, with the tokens its answered requests used. */
  static JsonObject object(Batch b) {
    JsonObjectBuilder o =
        Json.createObjectBuilder()
            .add("id", b.id())
            .add("object", "batch")
            .add("endpoint", b.endpoint())
            .add("errors", json(b.errors()))
            .add("input_file_id", b.inputFileId())
            .add("completion_window", b.completionWindow())
            .add("status", b.status());
    nullable(o, "output_file_id", b.outputFileId());
    nullable(o, "error_file_id", b.errorFileId());
    Batch.Times t = b.times();
    time(o, "created_at", t.createdAt());
    time(o, "in_progress_at", t.inProgressAt());
    time(o, "expires_at", t.expiresAt());
    time(o, "finalizing_at", t.finalizingAt());
    time(o, "completed_at", t.completedAt());
    time(o, "failed_at", t.failedAt());
    time(o, "expired_at", t.expiredAt());
    time(o, "cancelling_at", t.cancellingAt());
    time(o, "cancelled_at", t.cancelledAt());
    Batch.Counts c = b.counts();
    o.add(
        "request_counts",
        Json.createObjectBuilder()
            .add("total", c.total())
            .add("completed", c.completed())
            .add("failed", c.failed()));
    o.add(
        "usage",
        Json.createObjectBuilder()
            .add("input_tokens", c.promptTokens())
            .add("output_tokens", c.completionTokens())
            .add("total_tokens", c.promptTokens() + c.completionTokens()));
    return o.add("metadata", json(b.metadata())).build();
  }

  private static jakarta.json.JsonValue json(String text) {
    if (text == null) {
      return jakarta.json.JsonValue.NULL;
    }
    try (var reader = Json.createReader(new StringReader(text))) {
      return reader.readValue();
    }
  }

  private static void nullable(JsonObjectBuilder o, String name, String value) {
    if (value == null) {
      o.addNull(name);
    } else {
      o.add(name, value);
    }
  }

  private static void time(JsonObjectBuilder o, String name, Instant at) {
    if (at == null) {
      o.addNull(name);
    } else {
      o.add(name, at.getEpochSecond());
    }
  }
}
