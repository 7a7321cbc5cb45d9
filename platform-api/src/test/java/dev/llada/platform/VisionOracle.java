package dev.llada.platform;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionModelConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What the shipped tiny LLaDA-V model answers on its own (llada-core, as {@code bin/llada generate
 * --image} runs it: no platform, no worker): the ITs' oracle for an image sent through the API,
 * whose answer must be the same token for token (PNG is lossless, the chat template and the greedy
 * reference sampler are the same). How often that answer is right is the model card's business.
 */
final class VisionOracle {

  static final String MODEL = "llada-tiny-v";
  static final Path DIR = Path.of(System.getProperty("it.models.dir", "../models"), MODEL);

  private VisionOracle() {}

  /** Positions one image takes in a prompt of the model (65 for its 64-pixel tower of 8 × 8). */
  static int tokensPerImage() {
    return VisionModelConfig.read(DIR).tokensPerImage();
  }

  /** The model's context: prompt, image positions and answer together. */
  static int context() {
    return VisionModelConfig.read(DIR).language().maxSequenceLength();
  }

  /** The answer to {@code question} about {@code image}, greedy, {@code genLength} steps. */
  static String answer(BufferedImage image, String question, int genLength) throws Exception {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // the natives are in the cache already
    }
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      return thread
          .submit(
              () -> {
                DjlMaskPredictor.inferenceOnThisThread();
                try (VisionModel model = VisionModel.load(DIR, "cpu");
                    LladaTokenizer tokenizer = LladaTokenizer.load(DIR)) {
                  SpecialTokens special = SpecialTokens.of(model.predictor().config(), tokenizer);
                  ImagePrompt prompt =
                      ImagePrompt.question(
                          tokenizer, question, model.tokensPerImage(), tokenizer.eosId());
                  try (VisionModel.Prepared prepared =
                      model.prepare(List.of(prompt), List.of(List.of(image)), new int[] {0})) {
                    Generation g =
                        new ReferenceSampler(prepared.predictor(), special)
                            .generate(
                                new int[][] {prompt.ids()},
                                null,
                                new SamplingConfig(
                                    genLength,
                                    genLength,
                                    genLength,
                                    0,
                                    0,
                                    Remasking.LOW_CONFIDENCE,
                                    false,
                                    false),
                                new SplittableRandom(1),
                                e -> {});
                    return tokenizer.decode(g.answer(0, special), true);
                  }
                }
              })
          .get(5, TimeUnit.MINUTES);
    } finally {
      thread.shutdown();
    }
  }
}
