package dev.llada.platform.interfaces.rest.dto;

import dev.llada.registry.domain.ServedModel;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * OpenAI's model object ({@code GET /v1/models/{model}}): {@code id}, {@code object}, {@code
 * created} (Unix seconds), {@code owned_by}; plus the LLaDA variant it resolves to and, for an
 * alias, the registered version behind it.
 */
@JsonbPropertyOrder({"id", "object", "created", "ownedBy", "variant", "version"})
public record ModelObject(
    String id,
    String object,
    long created,
    @JsonbProperty("owned_by") String ownedBy,
    String variant,
    String version) {

  public static ModelObject of(ServedModel model) {
    return new ModelObject(
        model.id(),
        "model",
        model.created().getEpochSecond(),
        model.ownedBy(),
        model.variant().name(),
        model.version());
  }
}
