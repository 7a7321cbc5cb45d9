package dev.llada.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Confidence-aware parallel decoding: the rules, progress, and the exact limit. */
class FastSamplerTest {

  @TempDir Path temp;

  @Test
  void theRulesAcceptARankedPrefixAndAlwaysTheFirst() {
    ParallelDecoding tau = ParallelDecoding.threshold(0.9);
    assertEquals(0, tau.accepted(List.of()));
    assertEquals(1, tau.accepted(List.of(0.2, 0.1)), "progress: the first always");
    assertEquals(3, tau.accepted(List.of(0.99, 0.95, 0.9, 0.89, 0.95)));
    // factor f = 1: the j-th (1-based) needs (j + 1)(1 - c_j) < 1
    ParallelDecoding f = ParallelDecoding.factor(1);
    assertEquals(1, f.accepted(List.of(0.1, 0.1)));
    assertEquals(1, f.accepted(List.of(0.9, 0.6, 0.5))); // j = 2: 3 * 0.4 = 1.2, not < 1
    assertEquals(3, f.accepted(List.of(0.99, 0.8, 0.8, 0.7))); // 0.6, 0.8 pass; 5 * 0.3 fails
    assertEquals(3, f.accepted(List.of(0.99, 0.99, 0.99, 0.7))); // j=4: 5 * 0.3 = 1.5 fails
    assertThrows(IllegalArgumentException.class, () -> ParallelDecoding.threshold(0));
    assertThrows(IllegalArgumentException.class, () -> ParallelDecoding.threshold(1.5));
    assertThrows(IllegalArgumentException.class, () -> ParallelDecoding.factor(-1));
  }

  @Test
  void everyStepCommitsTheMostConfidentAndOthersOnlyAboveTheThreshold() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 50);
    Path dir = TinyModels.write(temp.resolve("m"), c, 21, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    SamplingConfig config =
        new SamplingConfig(32, 32, 8, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    int[][] prompt = {{c.padTokenId(), 3, 4, 5}, {6, 7, 8, 9}};
    boolean[][] attention = {{false, true, true, true}, {true, true, true, true}};
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      List<StepEvent> trace = new ArrayList<>();
      double tau = 0.05; // a random tiny model is never sure: a low bar, so steps commit many
      Generation g =
          new FastSampler(djl, special, ParallelDecoding.threshold(tau))
              .generate(prompt, attention, config, new SplittableRandom(1), trace::add);
      assertEquals(trace.size(), g.nfe());
      assertTrue(g.nfe() < 32, "fewer forwards than one token a step: " + g.nfe());
      List<java.util.Set<Integer>> decoded =
          List.of(new java.util.HashSet<>(), new java.util.HashSet<>());
      for (StepEvent e : trace) {
        boolean progress = false;
        for (int r = 0; r < 2; r++) {
          for (int p : e.positions()[r]) {
            decoded.get(r).add(p);
          }
          progress |= e.positions()[r].length > 0;
          for (int j = 1; j < e.confidences()[r].length; j++) {
            assertTrue(e.confidences()[r][j] >= tau, "step " + e.step());
            assertTrue(e.confidences()[r][j] <= e.confidences()[r][0], "ranked");
          }
        }
        assertTrue(progress, "every forward commits something");
      }
      for (int r = 0; r < 2; r++) {
        assertEquals(32, decoded.get(r).size(), "every generated position decoded");
      }
    }
  }

  /**
   * While no confidence is exactly 1.0 (a float64 softmax saturates at logit gaps over ~37, which a
   * trained model can reach; these random tiny models do not), τ = 1 commits one token a step.
   */
  @Test
  void aThresholdNothingReachesIsTheReferenceSamplerAtOneTokenAStep() throws Exception {
    SplittableRandom pick = new SplittableRandom(3);
    for (int trial = 0; trial < 4; trial++) {
      LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 40 + pick.nextInt(40));
      Path dir = TinyModels.write(temp.resolve("e" + trial), c, pick.nextLong(), DType.F32, 0);
      SpecialTokens special = SpecialTokens.of(c);
      int gen = 8 * (1 + pick.nextInt(2));
      SamplingConfig config =
          new SamplingConfig(
              gen,
              gen,
              gen / 2,
              0,
              trial % 2 == 0 ? 0 : 1.0,
              Remasking.LOW_CONFIDENCE,
              pick.nextBoolean(),
              pick.nextBoolean());
      int[][] prompt = {{3, 4, 5}, {6, 7, 8}};
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
        Generation reference =
            new ReferenceSampler(djl, special)
                .generate(prompt, null, config, new SplittableRandom(1), e -> {});
        Generation fast =
            new FastSampler(djl, special, ParallelDecoding.threshold(1.0))
                .generate(prompt, null, config, new SplittableRandom(1), e -> {});
        for (int r = 0; r < 2; r++) {
          assertArrayEquals(reference.completion(r), fast.completion(r), "trial " + trial);
        }
        assertEquals(reference.nfe(), fast.nfe());
      }
    }
  }

  @Test
  void theStepCapStillFinishesEveryBlock() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 1, 48, 40);
    Path dir = TinyModels.write(temp.resolve("cap"), c, 5, DType.F32, 0);
    SamplingConfig config =
        new SamplingConfig(4, 16, 8, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      Generation g =
          new FastSampler(djl, SpecialTokens.of(c), ParallelDecoding.threshold(0.99))
              .generate(new int[][] {{3, 4}}, null, config, new SplittableRandom(1), e -> {});
      assertTrue(g.nfe() <= 4, "at most steps forwards: " + g.nfe());
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new FastSampler(djl, SpecialTokens.of(c), ParallelDecoding.threshold(0.9))
                  .generate(
                      new int[][] {{3}},
                      null,
                      new SamplingConfig(4, 4, 4, 0, 0, Remasking.RANDOM, false, false),
                      new SplittableRandom(1),
                      e -> {}));
    }
  }
}
