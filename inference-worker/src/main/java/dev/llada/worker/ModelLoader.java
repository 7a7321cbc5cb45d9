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

  /** The bytes each weight of a model of {@code config} holds on the device once loaded. */
  default long bytesPerWeight(dev.llada.core.config.LladaConfig config) {
    return Float.BYTES;
  }

  /**
   * Through DJL, dense LLaDA models computing in {@code precision} ({@code llada.worker.dtype}):
   * bfloat16 holds their weights in bfloat16 alone (half the memory; the GPUs' fast path).
   * LLaDA-MoE and LLaDA-V models stay float32 (their forwards have no bfloat16 arithmetic yet).
   */
  static ModelLoader in(dev.llada.core.model.Precision precision) {
    if (precision == dev.llada.core.model.Precision.FLOAT32) {
      return DJL;
    }
    return new ModelLoader() {
      @Override
      public DjlMaskPredictor load(ModelRef model, String device) {
        var config = dev.llada.core.config.LladaConfig.read(model.directory());
        return config.moe() == null
            ? DjlMaskPredictor.load(model.directory(), device, precision)
            : DjlMaskPredictor.load(model.directory(), device);
      }

      @Override
      public long bytesPerWeight(dev.llada.core.config.LladaConfig config) {
        return config.moe() == null ? 2 : Float.BYTES;
      }
    };
  }
}
