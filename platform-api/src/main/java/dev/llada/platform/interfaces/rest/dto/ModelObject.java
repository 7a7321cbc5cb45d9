package dev.llada.platform.interfaces.rest.dto;

import dev.llada.registry.domain.ServedModel;
import dev.llada.registry.domain.VariantCode;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * OpenAI's model object ({@code GET /v1/models/{model}}): {@code id}, {@code object}, {@code
 * created} (Unix seconds), {@code owned_by}; plus the LLaDA variant it resolves to, for an alias
 * the registered version behind it, and what the model can do here ({@code capabilities}).
 */
@JsonbPropertyOrder({"id", "object", "created", "ownedBy", "variant", "version", "capabilities"})
public record ModelObject(
    String id,
    String object,
    long created,
    @JsonbProperty("owned_by") String ownedBy,
    String variant,
    String version,
    Capabilities capabilities) {

  /**
   * What a client can ask of the model on this platform.
   *
   * @param instructionTuned trained to follow chat turns (every variant but Base; Base still
   *     answers chat requests, through the same template)
   * @param vision takes images in chat messages ({@code image_url} content parts): the VISION
   *     variant (LLaDA-V)
   * @param contextLength prompt + generated tokens at most (the checkpoint's {@code
   *     max_sequence_length}); absent when the version's files are not on this node
   */
  @JsonbPropertyOrder({
    "completions",
    "chat",
    "instructionTuned",
    "diffusionTrace",
    "loglikelihood",
    "vision",
    "contextLength"
  })
  public record Capabilities(
      boolean completions,
      boolean chat,
      boolean instructionTuned,
      boolean diffusionTrace,
      boolean loglikelihood,
      boolean vision,
      Integer contextLength) {

    public static Capabilities of(VariantCode variant, Integer contextLength) {
      return new Capabilities(
          true,
          true,
          variant != VariantCode.BASE,
          true,
          true,
          variant == VariantCode.VISION,
          contextLength);
    }
  }

  public static ModelObject of(ServedModel model, Integer contextLength) {
    return new ModelObject(
        model.id(),
        "model",
        model.created().getEpochSecond(),
        model.ownedBy(),
        model.variant().name(),
        model.version(),
        Capabilities.of(model.variant(), contextLength));
  }
}
