package dev.llada.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.CacheStep;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.KvCache;
import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.OracleMaskPredictor;
import dev.llada.core.model.Predictions;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast sampler's cache and early-stop switches: the cached samplers on DJL give the tokens the
 * float64 oracle gives running the same cache schedule; the cache is refreshed at every block
 * boundary and read in between; the exact switches give the reference sampler's answers.
 */
class CachedSamplingTest {

  @TempDir Path temp;

  @Test
  void cachedSamplersGiveTheOraclesTokens() throws Exception {
    SplittableRandom pick = new SplittableRandom(17);
    int approximate = 0; // runs whose cached tokens differ from the uncached sampler's
    for (int trial = 0; trial < 4; trial++) {
      LladaConfig c =
          TinyModels.config(24, 4, trial % 2 == 0 ? 2 : 4, 2, 36, 40 + pick.nextInt(30));
      Path dir = TinyModels.write(temp.resolve("o" + trial), c, pick.nextLong(), DType.F32, 0);
      SpecialTokens special = SpecialTokens.of(c);
      double cfg = trial == 3 ? 1.0 : 0;
      SamplingConfig config =
          new SamplingConfig(12, 12, 4, 0, cfg, Remasking.LOW_CONFIDENCE, false, trial == 1);
      int pad = c.padTokenId();
      int[][] prompt = {{pad, pad, 3, 4, 5}, {6, 7, 8, 9, 10}};
      boolean[][] attention = {{false, false, true, true, true}, {true, true, true, true, true}};
      MaskPredictor oracle = new OracleMaskPredictor(dir);
      for (Acceleration.Cache cache : List.of(Acceleration.Cache.PREFIX, Acceleration.Cache.DUAL)) {
        ParallelDecoding rule = trial >= 2 ? ParallelDecoding.threshold(0.05) : null;
        Acceleration a = new Acceleration(rule, cache, false, trial % 2 == 1);
        try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
          Generation fast =
              new FastSampler(djl, special, a)
                  .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
          Generation slow =
              new FastSampler(oracle, special, a)
                  .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
          for (int r = 0; r < 2; r++) {
            assertArrayEquals(
                slow.completion(r), fast.completion(r), "trial " + trial + " " + a.label());
          }
          assertEquals(slow.nfe(), fast.nfe());
          assertEquals(slow.queryPositions(), fast.queryPositions());
          Generation uncached =
              new FastSampler(djl, special, new Acceleration(rule, Acceleration.Cache.NONE, false))
                  .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
          for (int r = 0; r < 2; r++) {
            if (!java.util.Arrays.equals(uncached.completion(r), fast.completion(r))) {
              approximate++;
              break;
            }
          }
        }
      }
    }
    assertTrue(approximate > 0, "the caches are approximations: some output must differ");
  }

  @Test
  void theCacheIsRefreshedAtEveryBlockBoundaryAndReadInBetween() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 50);
    Path dir = TinyModels.write(temp.resolve("r"), c, 9, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    int promptLength = 3;
    SamplingConfig config =
        new SamplingConfig(16, 16, 4, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    int length = promptLength + 16;
    for (int variant = 0; variant < 3; variant++) {
      Acceleration.Cache cache = variant == 0 ? Acceleration.Cache.PREFIX : Acceleration.Cache.DUAL;
      boolean incremental = variant == 2;
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
        Recording recording = new Recording(djl);
        List<StepEvent> trace = new ArrayList<>();
        Generation g =
            new FastSampler(recording, special, new Acceleration(null, cache, false, incremental))
                .generate(
                    new int[][] {{3, 4, 5}}, null, config, new SplittableRandom(1), trace::add);
        assertEquals(16, g.nfe(), "one token a step: the quota");
        int refreshes = 0;
        long units = 0;
        long unitsBefore = 0;
        for (int f = 0; f < recording.steps.size(); f++) {
          CacheStep step = recording.steps.get(f);
          int block = trace.get(f).block();
          int lo = promptLength + 4 * block;
          boolean first = f == 0 || trace.get(f - 1).block() != block;
          if (first && incremental && block > 0) {
            CacheStep.Update update =
                assertInstanceOf(CacheStep.Update.class, step, "forward " + f + " opens a block");
            assertEquals(lo - 4, update.from(), "from the block just decoded");
            refreshes++;
            units += length - update.from();
          } else if (first) {
            assertInstanceOf(CacheStep.Refresh.class, step, "forward " + f + " opens a block");
            refreshes++;
            units += length;
          } else {
            CacheStep.Reuse reuse = assertInstanceOf(CacheStep.Reuse.class, step, "forward " + f);
            assertEquals(lo, reuse.from(), "the block's start");
            assertEquals(cache == Acceleration.Cache.DUAL ? lo + 4 : length, reuse.to());
            units += reuse.to() - reuse.from();
          }
          assertEquals(units - unitsBefore, trace.get(f).queryPositions(), "forward " + f);
          unitsBefore = units;
        }
        assertEquals(4, refreshes, "one refresh per block");
        assertEquals(units, g.queryPositions(), "billed: what the forwards computed");
        assertTrue(g.queryPositions() < 16L * length, "cheaper than full forwards");
      }
    }
  }

  @Test
  void theExactSwitchesGiveTheReferenceAnswers() throws Exception {
    SplittableRandom pick = new SplittableRandom(23);
    for (int trial = 0; trial < 4; trial++) {
      LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 30 + pick.nextInt(20));
      Path dir = TinyModels.write(temp.resolve("x" + trial), c, pick.nextLong(), DType.F32, 0);
      // EOS early: the EOS id is made likely by banning nothing and using a small vocabulary
      SpecialTokens special = SpecialTokens.of(c);
      SamplingConfig config =
          new SamplingConfig(
              16, 16, 8, 0, trial == 2 ? 1.0 : 0, Remasking.LOW_CONFIDENCE, false, trial == 3);
      int pad = c.padTokenId();
      int[][] prompt = {{pad, 3, 4, 5}, {6, 7, 8, 9}};
      boolean[][] attention = {{false, true, true, true}, {true, true, true, true}};
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
        Generation reference =
            new ReferenceSampler(djl, special)
                .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
        Generation plain =
            new FastSampler(djl, special, new Acceleration(null, Acceleration.Cache.NONE, false))
                .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
        Generation stopped =
            new FastSampler(djl, special, new Acceleration(null, Acceleration.Cache.NONE, true))
                .generate(prompt, attention, config, new SplittableRandom(1), e -> {});
        for (int r = 0; r < 2; r++) {
          assertArrayEquals(reference.completion(r), plain.completion(r), "trial " + trial);
          assertArrayEquals(
              reference.answer(r, special), stopped.answer(r, special), "early stop " + trial);
        }
        assertEquals(reference.nfe(), plain.nfe());
        assertTrue(stopped.nfe() <= reference.nfe());
      }
    }
  }

  @Test
  void earlyStopEndsWhenEveryAnswerIsFixedAndPadsWithEos() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 1, 48, 20);
    Path dir = TinyModels.write(temp.resolve("eos"), c, 4, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    SamplingConfig config =
        new SamplingConfig(16, 16, 16, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      // a predictor that is sure of EOS at the second generated position, and of 5 elsewhere
      MaskPredictor sure = new EosAt(djl, 4 + 1, special.eosId());
      Generation g =
          new FastSampler(sure, special, new Acceleration(null, Acceleration.Cache.NONE, true))
              .generate(new int[][] {{3, 4, 5, 6}}, null, config, new SplittableRandom(1), e -> {});
      assertEquals(2, g.nfe(), "EOS first (most confident), then the position before it");
      int[] completion = g.completion(0);
      assertEquals(5, completion[0]);
      for (int i = 1; i < completion.length; i++) {
        assertEquals(special.eosId(), completion[i], "padded with EOS at " + i);
      }
      assertArrayEquals(new int[] {5}, g.answer(0, special));
    }
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new FastSampler(
                new EosAt(null, 0, 0),
                special,
                new Acceleration(null, Acceleration.Cache.DUAL, false)),
        "a predictor without a cache");
  }

  /** Records each forward's cache step. */
  private static final class Recording implements MaskPredictor {
    final MaskPredictor inner;
    final List<CacheStep> steps = new ArrayList<>();

    Recording(MaskPredictor inner) {
      this.inner = inner;
    }

    @Override
    public LladaConfig config() {
      return inner.config();
    }

    @Override
    public Logits logits(int[][] tokens, boolean[][] mask, int from, int to) {
      return logits(tokens, mask, from, to, null);
    }

    @Override
    public Logits logits(int[][] tokens, boolean[][] mask, int from, int to, CacheStep step) {
      steps.add(step);
      return inner.logits(tokens, mask, from, to, step);
    }

    @Override
    public Predictions predict(
        int[][] tokens,
        boolean[][] mask,
        int from,
        int to,
        double cfg,
        int[] banned,
        int[] unconfident,
        boolean[][] wanted,
        CacheStep step) {
      steps.add(step);
      return inner.predict(tokens, mask, from, to, cfg, banned, unconfident, wanted, step);
    }

    @Override
    public boolean caches() {
      return inner.caches();
    }

    @Override
    public KvCache newCache() {
      return inner.newCache();
    }
  }

  /** Logits sure of EOS at one position and of token 5 everywhere else (decreasingly so). */
  private static final class EosAt implements MaskPredictor {
    final MaskPredictor shape;
    final int eosPosition;
    final int eos;

    EosAt(MaskPredictor shape, int eosPosition, int eos) {
      this.shape = shape;
      this.eosPosition = eosPosition;
      this.eos = eos;
    }

    @Override
    public LladaConfig config() {
      return shape.config();
    }

    @Override
    public Logits logits(int[][] tokens, boolean[][] mask, int from, int to) {
      int vocab = config().embeddingSize();
      float[] data = new float[tokens.length * (to - from) * vocab];
      for (int r = 0; r < tokens.length; r++) {
        for (int p = from; p < to; p++) {
          int at = (r * (to - from) + p - from) * vocab;
          data[at + (p == eosPosition ? eos : 5)] = p == eosPosition ? 30f : 20f - p;
        }
      }
      return new Logits(tokens.length, to - from, vocab, data);
    }
  }
}
