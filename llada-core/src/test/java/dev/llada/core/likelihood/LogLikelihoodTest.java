package dev.llada.core.likelihood;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.ScriptedPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Monte Carlo estimator of llada-spec §3. */
class LogLikelihoodTest {

  @TempDir Path temp;

  @Test
  void maskCountsAreStratifiedAndWrapped() {
    // linspace(3, 3 + 3*10/4, 4) = 3, 5.5, 8, 10.5 -> round half to even -> 3, 6, 8, 10
    assertArrayEquals(new int[] {3, 6, 8, 10}, LogLikelihood.stratifiedCounts(10, 4, 3));
    // start near the end wraps around into [1, L]
    // 9, 11.5, 14, 16.5 -> 9, 12, 14, 16 -> wrapped 9, 2, 4, 6
    assertArrayEquals(new int[] {9, 2, 4, 6}, LogLikelihood.stratifiedCounts(10, 4, 9));
    SplittableRandom random = new SplittableRandom(1);
    for (int trial = 0; trial < 200; trial++) {
      int length = 1 + random.nextInt(40);
      for (int c : LogLikelihood.stratifiedCounts(length, 1 + random.nextInt(16), random)) {
        assertTrue(c >= 1 && c <= length);
      }
    }
  }

  @Test
  void aSingleTokenAnswerGivesTheExactConditionalLogProbability() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 40);
    Path dir = TinyModels.write(temp.resolve("m"), c, 5, DType.F32, 0);
    try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, "cpu")) {
      int[] prompt = {3, 4, 5, 6};
      int answer = 7;
      LikelihoodEstimate e =
          new LogLikelihood(model)
              .estimate(prompt, new int[] {answer}, 4, 2, 0, new SplittableRandom(2));
      double exact;
      try (Logits l = model.logits(new int[][] {{3, 4, 5, 6, c.maskTokenId()}}, null, 4, 5)) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < l.vocab(); v++) {
          max = Math.max(max, l.get(0, 0, v));
        }
        double sum = 0;
        for (int v = 0; v < l.vocab(); v++) {
          sum += Math.exp(l.get(0, 0, v) - max);
        }
        exact = l.get(0, 0, answer) - max - Math.log(sum);
      }
      assertEquals(exact, e.logLikelihood(), 1e-5);
      assertEquals(0.0, e.standardError(), 1e-9, "every sample is the same");
      assertEquals(2, e.nfe());
    }
  }

  @Test
  void scoringInChunksGivesTheSameEstimateInBoundedForwards() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 61);
    Path dir = TinyModels.write(temp.resolve("chunks"), c, 9, DType.F32, 0);
    int[] prompt = {3, 4, 5, 6};
    int[] answer = new int[40];
    for (int i = 0; i < answer.length; i++) {
      answer[i] = 7 + i % 50;
    }
    try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, "cpu")) {
      for (double cfg : new double[] {0, 1.0}) {
        // one row and 3 positions per forward, against the whole batch in one
        long perPosition = 61L * Float.BYTES * (cfg > 0 ? 2 : 1);
        java.util.List<int[]> shapes = new java.util.ArrayList<>();
        MaskPredictor counting =
            new MaskPredictor() {
              @Override
              public LladaConfig config() {
                return model.config();
              }

              @Override
              public Logits logits(int[][] tokens, boolean[][] mask, int from, int to) {
                shapes.add(new int[] {tokens.length, to - from});
                return model.logits(tokens, mask, from, to);
              }
            };
        LikelihoodEstimate whole =
            new LogLikelihood(model).estimate(prompt, answer, 16, 8, cfg, new SplittableRandom(1));
        LikelihoodEstimate chunked =
            new LogLikelihood(counting, 3 * perPosition)
                .estimate(prompt, answer, 16, 8, cfg, new SplittableRandom(1));
        assertEquals(
            whole.logLikelihood(),
            chunked.logLikelihood(),
            1e-5 * Math.abs(whole.logLikelihood()),
            "cfg " + cfg);
        assertTrue(shapes.size() > 16, "many small forwards: " + shapes.size());
        for (int[] shape : shapes) {
          long rows = cfg > 0 ? shape[0] / 2 : shape[0];
          assertTrue(
              rows * shape[1] * perPosition <= 3 * perPosition, java.util.Arrays.toString(shape));
        }
      }
    }
  }

  @Test
  void isUnbiasedWhenPositionsAreIndependent() {
    // a predictor whose distribution at every position ignores the context: the bound is tight,
    // E[(L/l) Σ_masked log p] = Σ_j log p(answer_j)
    LladaConfig c = ScriptedPredictor.config16();
    double[] logp = new double[16];
    double z = 0;
    for (int v = 0; v < 16; v++) {
      z += Math.exp(0.3 * v);
    }
    for (int v = 0; v < 16; v++) {
      logp[v] = 0.3 * v - Math.log(z);
    }
    ScriptedPredictor p =
        new ScriptedPredictor(
            c,
            (row, pos) -> {
              float[] l = new float[16];
              for (int v = 0; v < 16; v++) {
                l[v] = (float) (0.3 * v);
              }
              return l;
            });
    int[] answer = {1, 5, 9, 2, 7, 3, 0, 11};
    double truth = 0;
    for (int t : answer) {
      truth += logp[t];
    }
    LikelihoodEstimate e =
        new LogLikelihood(p)
            .estimate(new int[] {4, 4}, answer, 1024, 16, 0, new SplittableRandom(3));
    assertEquals(truth, e.logLikelihood(), 4 * e.standardError() + 1e-4, "se " + e.standardError());
    assertTrue(e.standardError() > 0);
  }

  /**
   * mc_num == batch_size is one batch: a finite estimate, one forward, and no standard error (NaN:
   * the error is taken over batch means, and one mean has none); the API writes it as null.
   */
  @Test
  void oneBatchHasAnEstimateButNoStandardError() {
    ScriptedPredictor p =
        new ScriptedPredictor(
            ScriptedPredictor.config16(),
            (row, pos) -> {
              float[] l = new float[16];
              l[(row[0] + pos) % 15] = 2f;
              return l;
            });
    LogLikelihood ll = new LogLikelihood(p);
    int[] prompt = {4, 4};
    int[] answer = {1, 5, 9};
    for (int[] mcAndBatch : new int[][] {{1, 1}, {4, 4}, {16, 16}, {128, 128}}) {
      LikelihoodEstimate e =
          ll.estimate(prompt, answer, mcAndBatch[0], mcAndBatch[1], 0, new SplittableRandom(5));
      assertTrue(Double.isFinite(e.logLikelihood()), "mc/batch " + mcAndBatch[0]);
      assertTrue(e.logLikelihood() < 0);
      assertTrue(Double.isNaN(e.standardError()), "one batch mean has no spread");
      assertEquals(1, e.nfe());
      assertEquals(mcAndBatch[0], e.mcNum());
    }
    LikelihoodEstimate two = ll.estimate(prompt, answer, 8, 4, 0, new SplittableRandom(5));
    assertEquals(2, two.nfe());
    assertTrue(two.standardError() >= 0 && Double.isFinite(two.standardError()));
    LikelihoodEstimate ones = ll.estimate(prompt, answer, 3, 1, 0, new SplittableRandom(5));
    assertEquals(3, ones.nfe());
    assertTrue(Double.isFinite(ones.standardError()));
    assertMessage(
        "must be a positive multiple of batch_size (8)",
        () -> ll.estimate(prompt, answer, 4, 8, 0, new SplittableRandom(5)));
    assertMessage(
        "must be a positive multiple of batch_size (0)",
        () -> ll.estimate(prompt, answer, 4, 0, 0, new SplittableRandom(5)));
  }

  @Test
  void badRequestsFailWithTheRule() {
    ScriptedPredictor p =
        new ScriptedPredictor(ScriptedPredictor.config16(), (row, pos) -> new float[16]);
    LogLikelihood ll = new LogLikelihood(p);
    SplittableRandom r = new SplittableRandom(1);
    assertMessage(
        "mc_num (10) must be a positive multiple of batch_size (4)",
        () -> ll.estimate(new int[] {1}, new int[] {2}, 10, 4, 0, r));
    assertMessage(
        "the continuation is empty", () -> ll.estimate(new int[] {1}, new int[] {}, 4, 4, 0, r));
    assertMessage(
        "contains the mask token", () -> ll.estimate(new int[] {1}, new int[] {15}, 4, 4, 0, r));
    assertMessage("cfg_scale", () -> ll.estimate(new int[] {1}, new int[] {2}, 4, 4, -1, r));
  }

  private static void assertMessage(String expected, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
