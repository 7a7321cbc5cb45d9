package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.LiveRequests;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.NotFoundException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/requests/{id}/cancel} (ARCHITECTURE.md, "Cancellation"): stops a running or
 * waiting request of the caller's tenant at its next denoising step (a likelihood before its next
 * Monte Carlo batch); it is settled as CANCELLED with what ran, and its own call answers {@code 409
 * request_cancelled}, or ends its stream with that error. {@code id} is the platform's ({@code
 * x-request-id} of the response, known at once to a streaming client) or the client's own ({@code
 * X-Client-Request-Id} sent with the request, for non-streaming calls). The master key may cancel
 * any tenant's request. Answers at once: it never waits for the request to stop.
 */
@Path("requests")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Requests")
public class RequestsResource {

  @Inject LiveRequests requests;
  @Inject RequestContext context;

  @POST
  @Path("{id}/cancel")
  @Operation(summary = "Cancel a running or waiting request of your tenant")
  public Response cancel(@PathParam("id") String id) {
    Caller caller = context.caller();
    List<UUID> hit = requests.cancel(caller.isAdmin() ? null : caller.tenantId(), id);
    if (hit.isEmpty()) {
      throw new NotFoundException(
          "request_not_found",
          "id",
          "No request '"
              + id
              + "' of your tenant is running on this platform node (it may have finished).");
    }
    JsonArrayBuilder ids = Json.createArrayBuilder();
    hit.forEach(u -> ids.add(u.toString()));
    return Response.ok(
            Json.createObjectBuilder()
                .add("object", "request.cancellation")
                .add("id", id)
                .add("status", "cancelling")
                .add("request_ids", ids)
                .build(),
            MediaType.APPLICATION_JSON_TYPE)
        .build();
  }
}
