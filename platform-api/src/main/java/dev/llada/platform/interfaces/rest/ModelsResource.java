package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ModelNotFoundException;
import dev.llada.platform.interfaces.rest.dto.ModelList;
import dev.llada.platform.interfaces.rest.dto.ModelObject;
import dev.llada.registry.domain.ModelCatalog;
import dev.llada.registry.domain.ServedModel;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/models}: the models a client can name, in OpenAI's list and object formats. */
@Path("models")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models")
public class ModelsResource {

  @Inject ModelCatalog catalog;
  @Inject Tenancy tenancy;
  @Inject RequestContext context;

  private java.util.List<ServedModel> models() {
    Caller caller = context.caller();
    return caller.isAdmin()
        ? catalog.listModels()
        : catalog.listModels(caller.tenantId(), caller.tenantSlug());
  }

  /**
   * The administrator sees every model, deployed or not (the registry's view); a tenant only what
   * it can call: a name with a deployed version behind it, of a variant it is entitled to. An
   * OpenAI client that picks any listed model can then run it.
   */
  private boolean visible(ServedModel model) {
    Caller caller = context.caller();
    return caller.isAdmin()
        || (model.servable()
            && tenancy.entitled(caller.tenantId(), model.variant())
            && model.localDirectory().isPresent());
  }

  /** Context lengths by digest: a version's files never change, so each is read once. */
  private static final java.util.Map<String, Integer> CONTEXT =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static ModelObject object(ServedModel model) {
    return ModelObject.of(model, contextLength(model));
  }

  /** The checkpoint's {@code max_sequence_length}, or null without readable files here. */
  private static Integer contextLength(ServedModel model) {
    Integer known = model.digest() == null ? null : CONTEXT.get(model.digest());
    if (known != null) {
      return known;
    }
    return model
        .localDirectory()
        .map(
            dir -> {
              try {
                int n = dev.llada.core.config.LladaConfig.read(dir).maxSequenceLength();
                if (model.digest() != null) {
                  CONTEXT.put(model.digest(), n);
                }
                return n;
              } catch (RuntimeException unreadable) {
                return null;
              }
            })
        .orElse(null);
  }

  @GET
  @Operation(
      summary = "List models",
      description =
          "What the caller can run: the deployed LLaDA variants its tenant is entitled to,"
              + " then the aliases of those variants.")
  @APIResponse(
      responseCode = "200",
      content = @Content(schema = @Schema(implementation = ModelList.class)))
  public ModelList list() {
    return ModelList.of(
        models().stream().filter(this::visible).map(ModelsResource::object).toList());
  }

  @GET
  @Path("{model: .+}")
  @Operation(summary = "Retrieve a model")
  @APIResponse(
      responseCode = "200",
      content = @Content(schema = @Schema(implementation = ModelObject.class)))
  @APIResponse(responseCode = "404", description = "model_not_found")
  public ModelObject retrieve(
      @PathParam("model") @Size(max = 256, message = "must be at most 256 characters")
          String model) {
    Caller caller = context.caller();
    return (caller.isAdmin()
            ? catalog.findModel(model)
            : catalog.findModel(caller.tenantId(), caller.tenantSlug(), model))
        .filter(this::visible)
        .map(ModelsResource::object)
        .orElseThrow(() -> new ModelNotFoundException(model));
  }
}
