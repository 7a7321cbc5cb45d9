package dev.llada.platform.interfaces.rest.admin;

import dev.llada.platform.application.ModelAdmin;
import dev.llada.platform.interfaces.rest.JsonFields;
import dev.llada.registry.application.ModelRegistry;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/admin/aliases}: create, promote and roll back aliases, global or per tenant ({@code
 * ?tenant=slug}), with their history. Who may call each endpoint: {@link
 * dev.llada.platform.interfaces.rest.EndpointAccess}.
 */
@Path("admin/aliases")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Administration")
public class AdminAliasesResource {

  @Inject ModelAdmin models;

  @PUT
  @Path("{alias}")
  @Operation(summary = "Create an alias or promote it to another version")
  public ModelAdmin.AliasView promote(
      @PathParam("alias") String alias, @QueryParam("tenant") String tenant, JsonObject body) {
    return models.promote(
        alias, tenant, JsonFields.requiredString(JsonFields.body(body), "version"));
  }

  @POST
  @Path("{alias}/rollback")
  @Operation(summary = "Move an alias back to the version it pointed to before its last move")
  public ModelAdmin.AliasView rollback(
      @PathParam("alias") String alias, @QueryParam("tenant") String tenant) {
    return models.rollback(alias, tenant);
  }

  @GET
  @Path("{alias}/history")
  @Operation(summary = "Every move of an alias")
  public AdminTenantsResource.Page<ModelRegistry.AliasMove> history(
      @PathParam("alias") String alias, @QueryParam("tenant") String tenant) {
    List<ModelRegistry.AliasMove> moves = models.history(alias, tenant);
    return AdminTenantsResource.Page.of(moves);
  }
}
