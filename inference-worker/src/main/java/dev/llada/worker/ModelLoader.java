package dev.llada.worker;

import dev.llada.core.model.DjlMaskPredictor;

/** How the worker puts a model on its device (a seam for tests; {@link #DJL} by default). */
@FunctionalInterface
public interface ModelLoader {

  DjlMaskPredictor load(ModelRef model, String device);

  /** The model's config and safetensors through DJL ({@link DjlMaskPredictor#load}). */
  ModelLoader DJL = (model, device) -> DjlMaskPredictor.load(model.directory(), device);
}
