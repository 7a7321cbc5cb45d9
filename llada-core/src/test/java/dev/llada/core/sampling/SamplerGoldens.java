package dev.llada.core.sampling;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The completions the reference sampler gives on one random tiny model under the knobs whose random
 * numbers and rules a refactor could reorder (T > 0 Gumbel draws, random remasking, guidance, both
 * EOS flags, a padded batch). Run as a program it prints them; {@code ReferenceSamplerTest} pins
 * them as recorded from the sampler before its refactor onto StepCandidates (commit adeb653).
 */
final class SamplerGoldens {

  static final SamplingConfig[] CONFIGS = {
    new SamplingConfig(8, 8, 4, 0.7, 0, Remasking.LOW_CONFIDENCE, false, false),
    new SamplingConfig(8, 8, 4, 0.7, 0, Remasking.RANDOM, false, false),
    new SamplingConfig(8, 8, 8, 0, 1.5, Remasking.LOW_CONFIDENCE, true, true),
    new SamplingConfig(8, 8, 4, 0.7, 1.5, Remasking.LOW_CONFIDENCE, true, true),
    new SamplingConfig(8, 8, 2, 0, 0, Remasking.RANDOM, false, true),
  };

  /** Per config, the two rows' completions. */
  static List<int[][]> completions(Path dir) throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 45);
    TinyModels.write(dir, c, 2026, DType.F32, 0);
    SpecialTokens special = new SpecialTokens(c.maskTokenId(), c.eosTokenId(), 7);
    int[][] prompt = {{c.padTokenId(), 3, 4, 5}, {6, 7, 8, 9}};
    boolean[][] attention = {{false, true, true, true}, {true, true, true, true}};
    List<int[][]> out = new ArrayList<>();
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      for (SamplingConfig config : CONFIGS) {
        Generation g =
            new ReferenceSampler(djl, special)
                .generate(prompt, attention, config, new SplittableRandom(99), e -> {});
        out.add(new int[][] {g.completion(0), g.completion(1)});
      }
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    for (int[][] rows : completions(Files.createTempDirectory("goldens"))) {
      System.out.println(Arrays.deepToString(rows));
    }
  }
}
