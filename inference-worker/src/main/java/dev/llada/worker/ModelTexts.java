package dev.llada.worker;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.PreprocessorConfig;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionModelConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a platform needs of a model without its weights: its tokenizer, context and special tokens,
 * and for a LLaDA-V model how an image is laid out and preprocessed; read from the model's files
 * once per digest. The platform with standalone workers ({@link
 * dev.llada.worker.remote.RemoteWorkerPool}) tokenizes and prices requests with it before it sends
 * them on.
 */
public final class ModelTexts {

  private record Tokens(LladaTokenizer tokenizer, LladaConfig config, SpecialTokens special) {}

  private record Vision(VisionModelConfig config, PreprocessorConfig preprocessor) {}

  private final Map<String, Tokens> tokenizers = new ConcurrentHashMap<>();
  private final Map<String, Vision> visions = new ConcurrentHashMap<>();

  private Tokens tokens(ModelRef model) {
    return tokenizers.computeIfAbsent(
        model.digest(),
        d -> {
          LladaConfig config = LladaConfig.read(model.directory());
          LladaTokenizer tokenizer = LladaTokenizer.load(model.directory());
          return new Tokens(tokenizer, config, SpecialTokens.of(config, tokenizer));
        });
  }

  private Vision vision(ModelRef model) {
    if (!VisionModelConfig.isVision(model.directory())) {
      return null;
    }
    return visions.computeIfAbsent(
        model.digest(),
        d -> {
          VisionModelConfig config = VisionModelConfig.read(model.directory());
          return new Vision(config, VisionModel.preprocessor(model.directory(), config));
        });
  }

  private Vision requireVision(ModelRef model) {
    Vision v = vision(model);
    if (v == null) {
      throw new IllegalArgumentException("the model '" + model.name() + "' reads no images");
    }
    return v;
  }

  public int[] encode(ModelRef model, String text) {
    return tokens(model).tokenizer().encode(text);
  }

  public String decode(ModelRef model, int[] ids) {
    return tokens(model).tokenizer().decode(ids, true);
  }

  /**
   * The bytes {@code model}'s weights take in float32: a worker with less free memory cannot load
   * it without unloading another (the working set comes on top, by the worker's own batch size).
   */
  public long weightBytes(ModelRef model) {
    return Float.BYTES * tokens(model).config().parameterCount();
  }

  public ModelLimits limits(ModelRef model) {
    Tokens t = tokens(model);
    return new ModelLimits(
        t.config().maxSequenceLength(),
        t.config().vocabSize(),
        t.special().eosId(),
        t.special().eotId(),
        t.tokenizer().maxTokenBytes());
  }

  public int tokensPerImage(ModelRef model) {
    Vision v = vision(model);
    return v == null ? 0 : v.config().tokensPerImage();
  }

  public ImagePrompt encode(ModelRef model, String text, int images) {
    Vision v = requireVision(model);
    Tokens t = tokens(model);
    return ImagePrompt.of(
        t.tokenizer(), text, images, v.config().tokensPerImage(), t.special().eosId());
  }

  public float[] pixels(ModelRef model, java.awt.image.BufferedImage image) {
    return VisionModel.pixels(image, requireVision(model).preprocessor());
  }
}
