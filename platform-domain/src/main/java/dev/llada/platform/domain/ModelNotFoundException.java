package dev.llada.platform.domain;

/** No model is registered under the name the client asked for. */
public final class ModelNotFoundException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public ModelNotFoundException(String model) {
    super(
        404,
        "model_not_found",
        "model",
        "The model '" + model + "' does not exist or you do not have access to it.");
  }
}
