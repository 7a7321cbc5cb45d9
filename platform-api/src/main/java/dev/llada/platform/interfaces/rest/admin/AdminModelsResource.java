package dev.llada.platform.interfaces.rest.admin;

import dev.llada.platform.application.ModelAdmin;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.interfaces.rest.JsonFields;
import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.domain.VariantCode;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.file.InvalidPathException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/admin/models} and {@code /v1/admin/aliases}: register versions from model directories,
 * tag them, query their lineage, promote and roll back aliases. Who may call each endpoint: {@link
 * dev.llada.platform.interfaces.rest.EndpointAccess}.
 */
@Path("admin/models")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Administration")
public class AdminModelsResource {

  @Inject ModelAdmin models;

  @POST
  @Operation(summary = "Register a model directory as a new immutable version")
  public Response register(JsonObject body) {
    JsonObject b = JsonFields.body(body);
    String variantName = JsonFields.requiredString(b, "variant");
    VariantCode variant;
    try {
      variant = VariantCode.valueOf(variantName);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(
          "variant", "variant must be BASE, INSTRUCT, V1_5, MOE or VISION");
    }
    java.nio.file.Path path;
    try {
      path = java.nio.file.Path.of(JsonFields.requiredString(b, "path"));
    } catch (InvalidPathException e) {
      throw new InvalidRequestException("path", "path is not a valid file system path");
    }
    ModelRegistry.Registered r =
        models.register(
            JsonFields.requiredString(b, "name"),
            variant,
            path,
            JsonFields.string(b, "base_version", null),
            JsonFields.string(b, "training_job", null),
            JsonFields.string(b, "dataset", null),
            tags(JsonFields.object(b, "tags")));
    return Response.status(r.created() ? 201 : 200).entity(r.version()).build();
  }

  @GET
  @Path("{name}/versions")
  @Operation(summary = "Every version of a model name")
  public AdminTenantsResource.Page<ModelRegistry.VersionView> versions(
      @PathParam("name") String name) {
    return AdminTenantsResource.Page.of(models.versions(name));
  }

  @GET
  @Path("{name}/versions/{version}")
  @Operation(summary = "One version")
  public ModelRegistry.VersionView version(
      @PathParam("name") String name, @PathParam("version") String version) {
    return models.version(name, number(version));
  }

  @PATCH
  @Path("{name}/versions/{version}/tags")
  @Operation(summary = "Set or remove (null) tags of a version")
  public ModelRegistry.VersionView tag(
      @PathParam("name") String name, @PathParam("version") String version, JsonObject body) {
    return models.tag(name, number(version), tags(JsonFields.body(body)));
  }

  @GET
  @Path("{name}/versions/{version}/lineage")
  @Operation(summary = "The base versions a version descends from, and those made from it")
  public ModelRegistry.Lineage lineage(
      @PathParam("name") String name, @PathParam("version") String version) {
    return models.lineage(name, number(version));
  }

  private static int number(String version) {
    try {
      int n = Integer.parseInt(version);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new InvalidRequestException("version", "version must be a positive integer");
  }

  private static Map<String, String> tags(JsonObject o) {
    if (o == null) {
      return null;
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (var e : o.entrySet()) {
      JsonValue v = e.getValue();
      if (v.getValueType() == JsonValue.ValueType.NULL) {
        tags.put(e.getKey(), null);
      } else if (v instanceof JsonString s) {
        tags.put(e.getKey(), s.getString());
      } else {
        throw new InvalidRequestException("tags", "tag values must be strings or null");
      }
    }
    return tags;
  }
}
