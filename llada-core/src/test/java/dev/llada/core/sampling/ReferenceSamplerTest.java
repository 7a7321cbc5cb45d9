package dev.llada.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.OracleMaskPredictor;
import dev.llada.core.model.ScriptedPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden behaviour of {@code generate.py} (llada-spec §2). */
class ReferenceSamplerTest {

  private static final LladaConfig C = ScriptedPredictor.config16();
  private static final int MASK = 15;
  private static final int EOS = 14;
  private static final SpecialTokens SPECIAL = new SpecialTokens(MASK, EOS, 13); // EoT = 13 here

  @TempDir Path temp;

  /** Deterministic pseudo-random logits that depend on the position and the visible tokens. */
  private static float[] hashed(int[] row, int position) {
    long h = position * 0x9E3779B97F4A7C15L;
    for (int t : row) {
      h = (h ^ t) * 0xBF58476D1CE4E5B9L;
    }
    SplittableRandom r = new SplittableRandom(h);
    float[] l = new float[16];
    for (int v = 0; v < 16; v++) {
      l[v] = (float) (3 * r.nextDouble());
    }
    l[MASK] = -5; // the head rarely predicts the mask itself
    return l;
  }

  private static SamplingConfig cfg(int steps, int gen, int block) {
    return new SamplingConfig(steps, gen, block, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
  }

  private static Generation run(
      ScriptedPredictor p, int[][] prompt, SamplingConfig c, List<StepEvent> trace) {
    return new ReferenceSampler(p, SPECIAL)
        .generate(prompt, null, c, new SplittableRandom(1), trace::add);
  }

  @Test
  void tenMasksOverFourStepsCommitThreeThreeTwoTwo() {
    List<StepEvent> trace = new ArrayList<>();
    Generation g =
        run(
            new ScriptedPredictor(C, ReferenceSamplerTest::hashed),
            new int[][] {{1, 2, 3}},
            cfg(4, 10, 10),
            trace);
    assertEquals(List.of(3, 3, 2, 2), trace.stream().map(e -> e.positions()[0].length).toList());
    assertEquals(4, g.nfe());
    assertFalse(Arrays.stream(g.completion(0)).anyMatch(t -> t == MASK), "fully decoded");
    assertArrayEquals(new int[] {1, 2, 3}, Arrays.copyOf(g.sequences()[0], 3), "prompt untouched");
  }

  @Test
  void lowConfidenceCommitsOnlyInsideTheCurrentBlock() {
    List<StepEvent> trace = new ArrayList<>();
    int promptLength = 2;
    Generation g =
        run(
            new ScriptedPredictor(C, ReferenceSamplerTest::hashed),
            new int[][] {{4, 5}, {6, 7}},
            cfg(6, 12, 4),
            trace);
    assertEquals(6, trace.size());
    for (StepEvent e : trace) {
      int lo = promptLength + e.block() * 4;
      for (int r = 0; r < 2; r++) {
        assertEquals(2, e.positions()[r].length, "4 masks over 2 steps per block");
        for (int p : e.positions()[r]) {
          assertTrue(
              p >= lo && p < lo + 4, "step " + e.step() + " committed " + p + " outside its block");
        }
      }
    }
    for (int r = 0; r < 2; r++) {
      assertFalse(Arrays.stream(g.completion(r)).anyMatch(t -> t == MASK));
    }
  }

  @Test
  void theMostConfidentPredictionsAreCommittedFirst() {
    // position p predicts token (p % 10) with a margin growing with p: later positions are surer
    ScriptedPredictor p =
        new ScriptedPredictor(
            C,
            (row, pos) -> {
              float[] l = new float[16];
              l[pos % 10] = pos;
              return l;
            });
    List<StepEvent> trace = new ArrayList<>();
    run(p, new int[][] {{1}}, cfg(4, 8, 8), trace);
    assertArrayEquals(new int[] {8, 7}, trace.get(0).positions()[0]);
    assertArrayEquals(new int[] {6, 5}, trace.get(1).positions()[0]);
    assertArrayEquals(new int[] {8 % 10, 7 % 10}, trace.get(0).tokens()[0]);
    assertTrue(trace.get(0).confidences()[0][0] > trace.get(1).confidences()[0][0]);
  }

  @Test
  void temperatureZeroIsDeterministicAndRandomRemaskingIsSeeded() {
    ScriptedPredictor p = new ScriptedPredictor(C, ReferenceSamplerTest::hashed);
    int[][] prompt = {{1, 2, 3, 4}};
    assertArrayEquals(
        run(p, prompt, cfg(8, 8, 4), new ArrayList<>()).completion(0),
        new ReferenceSampler(p, SPECIAL)
            .generate(prompt, null, cfg(8, 8, 4), new SplittableRandom(99), e -> {})
            .completion(0));
    SamplingConfig random = new SamplingConfig(8, 8, 4, 0.7, 0, Remasking.RANDOM, false, false);
    int[] a =
        new ReferenceSampler(p, SPECIAL)
            .generate(prompt, null, random, new SplittableRandom(5), e -> {})
            .completion(0);
    int[] b =
        new ReferenceSampler(p, SPECIAL)
            .generate(prompt, null, random, new SplittableRandom(5), e -> {})
            .completion(0);
    assertArrayEquals(a, b, "same seed, same sample");
  }

  @Test
  void gumbelMaxSamplesFromTheSoftmax() {
    double[] probs = {0.5, 0.3, 0.2};
    ScriptedPredictor p =
        new ScriptedPredictor(
            C,
            (row, pos) -> {
              float[] l = new float[16];
              Arrays.fill(l, Float.NEGATIVE_INFINITY);
              for (int v = 0; v < 3; v++) {
                l[v] = (float) Math.log(probs[v]);
              }
              return l;
            });
    SamplingConfig t1 = new SamplingConfig(1, 1, 1, 1.0, 0, Remasking.LOW_CONFIDENCE, false, false);
    int[] counts = new int[3];
    SplittableRandom random = new SplittableRandom(2024);
    int n = 4000;
    for (int i = 0; i < n; i++) {
      counts[
          new ReferenceSampler(p, SPECIAL)
              .generate(new int[][] {{1}}, null, t1, random, e -> {})
              .completion(0)[0]]++;
    }
    for (int v = 0; v < 3; v++) {
      double se = Math.sqrt(probs[v] * (1 - probs[v]) / n);
      assertEquals(
          probs[v], counts[v] / (double) n, 4 * se, "token " + v + ": " + Arrays.toString(counts));
    }
  }

  @Test
  void logitsEosInfNeverGeneratesEos() {
    ScriptedPredictor p =
        new ScriptedPredictor(
            C,
            (row, pos) -> {
              float[] l = new float[16];
              l[EOS] = 10;
              l[3] = 1;
              return l;
            });
    int[] plain = run(p, new int[][] {{1}}, cfg(4, 4, 4), new ArrayList<>()).completion(0);
    assertArrayEquals(new int[] {EOS, EOS, EOS, EOS}, plain);
    SamplingConfig noEos = new SamplingConfig(4, 4, 4, 0, 0, Remasking.LOW_CONFIDENCE, true, false);
    assertArrayEquals(
        new int[] {3, 3, 3, 3}, run(p, new int[][] {{1}}, noEos, new ArrayList<>()).completion(0));
  }

  @Test
  void confidenceEosEotInfCommitsEosAndEotLastAtTemperatureZero() {
    // position 1 (first generated) is surest, of EOS; position 2 sure of EoT; position 3 mildly of
    // 5
    ScriptedPredictor p =
        new ScriptedPredictor(
            C,
            (row, pos) -> {
              float[] l = new float[16];
              if (pos == 1) {
                l[EOS] = 9;
              } else if (pos == 2) {
                l[13] = 8;
              } else {
                l[5] = 1;
              }
              return l;
            });
    List<StepEvent> plain = new ArrayList<>();
    run(p, new int[][] {{1}}, cfg(3, 3, 3), plain);
    assertArrayEquals(
        new int[] {1}, plain.get(0).positions()[0], "without the flag EOS goes first");
    assertArrayEquals(new int[] {2}, plain.get(1).positions()[0], "then EoT");
    List<StepEvent> flagged = new ArrayList<>();
    SamplingConfig flag = new SamplingConfig(3, 3, 3, 0, 0, Remasking.LOW_CONFIDENCE, false, true);
    Generation g = run(p, new int[][] {{1}}, flag, flagged);
    assertArrayEquals(
        new int[] {3}, flagged.get(0).positions()[0], "with it the real token goes first");
    assertEquals(0.0, flagged.get(1).confidences()[0][0], "EOS/EoT predictions get confidence 0");
    assertArrayEquals(
        new int[] {EOS, 13, 5}, g.completion(0), "the tokens themselves are unchanged");
  }

  @Test
  void cfgMasksEveryPromptColumnAndExtrapolatesFromTheUnconditionalLogits() {
    // conditional: token 1 (1.2) beats token 0 (1.0); unconditional (prompt masked): token 1 at 2.0
    ScriptedPredictor p =
        new ScriptedPredictor(
            C,
            (row, pos) -> {
              float[] l = new float[16];
              Arrays.fill(l, -10);
              boolean promptMasked = row[0] == MASK;
              l[0] = promptMasked ? 0.0f : 1.0f;
              l[1] = promptMasked ? 2.0f : 1.2f;
              return l;
            });
    int pad = EOS;
    int[][] prompt = {{pad, 7}, {8, 9}};
    boolean[][] attention = {{false, true}, {true, true}};
    SamplingConfig noCfg =
        new SamplingConfig(1, 1, 1, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    SamplingConfig withCfg =
        new SamplingConfig(1, 1, 1, 0, 1.0, Remasking.LOW_CONFIDENCE, false, false);
    ReferenceSampler sampler = new ReferenceSampler(p, SPECIAL);
    assertEquals(
        1,
        sampler.generate(prompt, attention, noCfg, new SplittableRandom(1), e -> {})
            .completion(1)[0]);
    // guided = uncond + (w+1)(cond - uncond): token 0 -> 2.0, token 1 -> 0.4
    Generation guided =
        sampler.generate(prompt, attention, withCfg, new SplittableRandom(1), e -> {});
    assertEquals(0, guided.completion(1)[0]);
    ScriptedPredictor.Call call = p.calls.get(p.calls.size() - 1);
    assertEquals(4, call.tokens().length, "conditional and unconditional rows in one forward");
    assertArrayEquals(new int[] {MASK, MASK, MASK}, call.tokens()[2], "padding column masked too");
    assertArrayEquals(new int[] {MASK, MASK, MASK}, call.tokens()[3]);
    assertArrayEquals(
        new boolean[] {false, true, true}, call.attention()[0], "mask extended with ones");
    assertArrayEquals(
        call.attention()[0], call.attention()[2], "mask duplicated for the unconditional rows");
  }

  @Test
  void impossibleKnobsFailWithTheRule() {
    assertMessage("gen_length (10) must be divisible by block_length (4)", () -> cfg(5, 10, 4));
    assertMessage("steps (5) must be divisible by the number of blocks", () -> cfg(5, 8, 4));
    assertMessage(
        "temperature must be finite and >= 0",
        () -> new SamplingConfig(4, 4, 4, -1, 0, Remasking.RANDOM, false, false));
    assertMessage(
        "cfg_scale must be finite",
        () -> new SamplingConfig(4, 4, 4, 0, Double.NaN, Remasking.RANDOM, false, false));
    assertMessage("remasking must be low_confidence or random", () -> Remasking.parse("top_p"));
    ScriptedPredictor p = new ScriptedPredictor(C, ReferenceSamplerTest::hashed);
    assertMessage(
        "exceeds the model's max_sequence_length 512",
        () -> run(p, new int[][] {{1}}, cfg(512, 512, 512), new ArrayList<>()));
  }

  @Test
  void djlAndTheFloat64OracleGenerateTheSameTokensAtTemperatureZero() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 40);
    Path dir = TinyModels.write(temp.resolve("m"), c, 77, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    assertEquals(-1, special.eotId(), "this vocabulary has no LLaDA EoT id");
    SamplingConfig config =
        new SamplingConfig(8, 8, 4, 0, 0.5, Remasking.LOW_CONFIDENCE, false, true);
    int[][] prompt = {{c.padTokenId(), 3, 4, 5}, {6, 7, 8, 9}};
    boolean[][] attention = {{false, true, true, true}, {true, true, true, true}};
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      Generation fast =
          new ReferenceSampler(djl, special)
              .generate(prompt, attention, config, new SplittableRandom(3), e -> {});
      Generation again =
          new ReferenceSampler(djl, special)
              .generate(prompt, attention, config, new SplittableRandom(4), e -> {});
      Generation slow =
          new ReferenceSampler(new OracleMaskPredictor(dir), special)
              .generate(prompt, attention, config, new SplittableRandom(3), e -> {});
      for (int r = 0; r < 2; r++) {
        assertArrayEquals(slow.completion(r), fast.completion(r), "row " + r);
        assertArrayEquals(fast.completion(r), again.completion(r), "T=0 ignores the seed");
      }
    }
  }

  @Test
  void reducingOnTheDeviceGeneratesWhatTheJavaReductionDoes() throws Exception {
    SplittableRandom pick = new SplittableRandom(11);
    for (int trial = 0; trial < 8; trial++) {
      LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 30 + pick.nextInt(60));
      Path dir = TinyModels.write(temp.resolve("d" + trial), c, pick.nextLong(), DType.F32, 0);
      SpecialTokens special = new SpecialTokens(c.maskTokenId(), c.eosTokenId(), pick.nextInt(20));
      int gen = 4 * (1 + pick.nextInt(3));
      SamplingConfig config =
          new SamplingConfig(
              gen,
              gen,
              gen / 2,
              0,
              pick.nextBoolean() ? 0 : 1.5,
              pick.nextInt(4) == 0 ? Remasking.RANDOM : Remasking.LOW_CONFIDENCE,
              pick.nextBoolean(),
              pick.nextBoolean());
      int[][] prompt = {{c.padTokenId(), 3, 4, 5}, {6, 7, 8, 9}};
      boolean[][] attention = {{false, true, true, true}, {true, true, true, true}};
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
        Generation java =
            new ReferenceSampler(djl.reducing(DjlMaskPredictor.Reductions.JAVA), special)
                .generate(prompt, attention, config, new SplittableRandom(5), e -> {});
        Generation device =
            new ReferenceSampler(djl.reducing(DjlMaskPredictor.Reductions.DEVICE), special)
                .generate(prompt, attention, config, new SplittableRandom(5), e -> {});
        for (int r = 0; r < 2; r++) {
          assertArrayEquals(
              java.completion(r), device.completion(r), "trial " + trial + " " + config);
        }
      }
    }
  }

  @Test
  void temperatureRandomRemaskingGuidanceAndBothEosFlagsGiveThePinnedTokens() throws Exception {
    // recorded from the sampler before its refactor onto StepCandidates (commit adeb653): the order
    // of the random draws (V Gumbel doubles per masked position, then a float for random remasking)
    // and the EOS rules at T = 0 and T > 0 are part of what these pin
    int[][][] expected = {
      {{6, 6, 6, 20, 11, 6, 6, 6}, {35, 43, 41, 43, 27, 43, 43, 35}},
      {{24, 12, 6, 6, 20, 41, 19, 24}, {38, 35, 37, 20, 44, 33, 43, 0}},
      {{22, 6, 6, 38, 20, 6, 6, 11}, {15, 18, 41, 35, 41, 1, 6, 10}},
      {{27, 6, 6, 20, 20, 6, 1, 6}, {17, 17, 41, 11, 11, 1, 18, 14}},
      {{6, 6, 6, 20, 20, 6, 6, 6}, {35, 6, 41, 41, 34, 43, 41, 6}},
    };
    List<int[][]> actual = SamplerGoldens.completions(temp.resolve("goldens"));
    for (int i = 0; i < expected.length; i++) {
      for (int r = 0; r < 2; r++) {
        assertArrayEquals(
            expected[i][r], actual.get(i)[r], SamplerGoldens.CONFIGS[i] + " row " + r);
      }
    }
  }

  private static void assertMessage(String expected, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
