package dev.llada.worker;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.vision.VisionModel;

/** How the worker puts a model on its device (a seam for tests; {@link #DJL} by default). */
@FunctionalInterface
public interface ModelLoader {

  DjlMaskPredictor load(ModelRef model, String device);

  /**
   * A LLaDA-V model ({@code model_type} "llava_llada"): its language model, tower, projector and
   * image newline ({@link VisionModel#load}). The worker serves its text-only prompts with {@link
   * VisionModel#predictor()} and its prompts with images with a spliced view of it.
   */
  default VisionModel loadVision(ModelRef model, String device) {
    return VisionModel.load(model.directory(), device);
  }

  /** The model's config and safetensors through DJL ({@link DjlMaskPredictor#load}). */
  ModelLoader DJL = (model, device) -> DjlMaskPredictor.load(model.directory(), device);
}
