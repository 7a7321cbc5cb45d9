package dev.llada.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.tokenizer.ByteLevelTokenizerWriter;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The masked-diffusion loss weights of llada-spec §5 (pre-training: Σ_masked CE / p ÷ (B·L), 1 %
 * random-length batches; SFT: the prompt never masked, ÷ (B·answer length)), the training rows they
 * are computed on, and the loss the trainer computes from them for a dense and an MoE network.
 */
class LossWeightsTest {

  @TempDir Path temp;

  private static final int MASK = 99;

  /** B rows of length L, the first {@code prompt} positions not maskable. */
  private static TrainingData.Batch batch(int rows, int length, int prompt) {
    int[][] tokens = new int[rows][length];
    boolean[][] maskable = new boolean[rows][length];
    int[] answer = new int[rows];
    int[] padding = new int[rows];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        tokens[r][i] = 10 + (r + i) % 50;
        maskable[r][i] = i >= prompt;
      }
      answer[r] = length - prompt;
      padding[r] = length;
    }
    return new TrainingData.Batch("t", tokens, maskable, answer, padding);
  }

  @Test
  void eachMaskedTokenWeighsOneOverPTimesTheNormAndTheWeightsAreUnbiased() {
    for (Recipe.Objective objective : Recipe.Objective.values()) {
      int rows = 4;
      int length = 24;
      int prompt = objective == Recipe.Objective.SFT ? 6 : 0;
      double total = 0;
      int draws = 4000;
      int full = 0;
      for (long seed = 0; seed < draws; seed++) {
        TrainingData.Batch b = batch(rows, length, prompt);
        MaskedDiffusionLoss.Noised n =
            MaskedDiffusionLoss.noise(b, objective, MASK, new SplittableRandom(seed));
        int l = n.noisy()[0].length;
        if (l < length) {
          assertEquals(Recipe.Objective.PRETRAIN, objective, "only pre-training cuts lengths");
          continue;
        }
        full++;
        for (int r = 0; r < rows; r++) {
          float w = 0;
          for (int i = 0; i < l; i++) {
            boolean masked = n.noisy()[r][i] == MASK;
            if (i < prompt) {
              assertTrue(!masked, "the prompt is never masked");
            }
            assertEquals(masked, n.weights()[r][i] > 0, "weight iff masked");
            assertEquals(b.tokens()[r][i], n.targets()[r][i], "targets are the clean tokens");
            if (masked) {
              if (w > 0) {
                assertEquals(w, n.weights()[r][i], 0f, "one weight per row: 1/(p·norm)");
              }
              w = n.weights()[r][i];
              total += w;
            }
          }
          if (w > 0) { // recover p = 1/(w·norm): within [ε, 1]
            double norm = objective == Recipe.Objective.SFT ? rows * (length - prompt) : rows * l;
            double p = 1 / (w * norm);
            assertTrue(p >= MaskedDiffusionLoss.EPSILON - 1e-9 && p <= 1 + 1e-6, "p " + p);
          }
        }
      }
      // E[Σ_masked 1/(p·norm)] = 1: the estimator of the ELBO is unbiased in its weights
      assertEquals(1.0, total / full, 0.05, objective + ": mean total weight");
      if (objective == Recipe.Objective.PRETRAIN) {
        double cut = 1 - (double) full / draws; // 1 % random-length batches
        assertTrue(cut > 0.004 && cut < 0.018, "random-length share " + cut);
      } else {
        assertEquals(draws, full);
      }
    }
  }

  @Test
  void aUniformModelsLossIsLogVTimesTheWeightsForDenseAndMoe() throws Exception {
    int vocab = 64;
    LladaConfig dense =
        new LladaConfig(32, 4, 4, 2, 48, vocab, vocab, 1e4, 1e-5, 64, MASK % vocab, 1, 1);
    LladaConfig moe =
        new LladaConfig(
            32,
            4,
            4,
            2,
            24,
            vocab,
            vocab,
            1e4,
            1e-5,
            64,
            MASK % vocab,
            1,
            1,
            true,
            new MoeSpec(4, 2, 24, false, false, 0.01, 0.001));
    for (LladaConfig c : List.of(dense, moe)) {
      try (LladaNetwork network = LladaNetwork.initialize(c, Device.cpu(), 5)) {
        String head = c.moe() == null ? "model.transformer.ff_out.weight" : "lm_head.weight";
        network.parameters().get(head).muli(0); // every logit 0: CE = log V at every position
        network.parameters().values().forEach(p -> p.setRequiresGradient(true));
        TrainingData.Batch b = batch(3, 20, 5);
        MaskedDiffusionLoss.Noised n =
            MaskedDiffusionLoss.noise(
                b, Recipe.Objective.SFT, MASK % vocab, new SplittableRandom(2));
        double weights = 0;
        for (float[] row : n.weights()) {
          for (float w : row) {
            weights += w;
          }
        }
        Trainer.Micro micro = Trainer.backward(network, n, 1);
        assertEquals(Math.log(vocab) * weights, micro.loss(), 1e-4, c.family() + ": Σ w · log V");
        if (c.moe() != null) {
          assertTrue(
              micro.balanceLoss() > 0, "a load-balancing loss (exact values: RouterStatsTest)");
          assertTrue(micro.zLoss() > 0);
          assertEquals(c.nLayers(), micro.loads().length);
          for (long[] layer : micro.loads()) { // every token's k choices are counted
            assertEquals(3L * 20 * 2, java.util.Arrays.stream(layer).sum());
          }
        } else {
          assertTrue(Double.isNaN(micro.balanceLoss()) && micro.loads() == null);
        }
      }
    }
  }

  @Test
  void trainingRowsAreAFunctionOfSeedStepAndMicroBatchWithThePromptFrozen() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.of());
    String json =
        TrainerTest.recipe("x", "sft", "o", null, 1e-3, 4)
            .replace("\"seed\": 3,", "\"seed\": 3, \"from_scratch\": true,");
    Recipe recipe = Recipe.parse(JsonParser.parseString(json).getAsJsonObject(), temp, "sha");
    try (LladaTokenizer tokenizer = LladaTokenizer.load(temp)) {
      TrainingData data = new TrainingData(recipe, tokenizer);
      TrainingData again = new TrainingData(recipe, tokenizer);
      for (int step = 0; step < 6; step++) {
        TrainingData.Batch a = data.batch(step, 0);
        TrainingData.Batch b = again.batch(step, 0);
        assertEquals(a.task(), b.task());
        assertArrayEquals(a.tokens(), b.tokens(), "the same (seed, step, micro): the same rows");
        assertTrue(!java.util.Arrays.deepEquals(a.tokens(), data.batch(step, 1).tokens()));
        for (int r = 0; r < a.tokens().length; r++) {
          int prompt = a.tokens()[r].length - a.answerLength()[r];
          for (int i = 0; i < a.tokens()[r].length; i++) {
            assertEquals(i >= prompt, a.maskable()[r][i], "only the response is maskable");
          }
          assertTrue(a.paddingFrom()[r] > prompt && a.paddingFrom()[r] <= a.tokens()[r].length);
          for (int i = a.paddingFrom()[r]; i < a.tokens()[r].length; i++) {
            assertEquals(tokenizer.eosId(), a.tokens()[r][i], "EOS padding after the answer");
          }
          assertTrue(a.tokens()[r].length <= recipe.model().maxSequenceLength());
        }
      }
    }
  }
}
