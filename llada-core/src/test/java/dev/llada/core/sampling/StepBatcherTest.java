package dev.llada.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * The step-level API: requests of different prompts, lengths, knobs and samplers stepped in shared
 * forwards give what each gives alone; they join and leave between steps; caches are shared and
 * freed.
 */
class StepBatcherTest {

  @TempDir Path temp;

  /** A request's knobs and sampler, and the prompt it runs on. */
  private record Spec(int[] prompt, SamplingConfig config, Acceleration acceleration, long seed) {}

  private static SamplingConfig config(
      int steps, int gen, int block, double temperature, double cfg, Remasking remasking) {
    return new SamplingConfig(steps, gen, block, temperature, cfg, remasking, false, false);
  }

  /** What the request gives alone: its sampler's generate on a batch of one. */
  private static Generation alone(DjlMaskPredictor model, SpecialTokens special, Spec s) {
    Sampler sampler =
        s.acceleration() == null
            ? new ReferenceSampler(model, special)
            : new FastSampler(model, special, s.acceleration());
    return sampler.generate(
        new int[][] {s.prompt()}, null, s.config(), new SplittableRandom(s.seed()), e -> {});
  }

  @Test
  void aMixedBatchGivesWhatEachRequestGivesAloneAndSharesItsForwards() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 45);
    Path dir = TinyModels.write(temp.resolve("mix"), c, 31, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    List<Spec> specs =
        List.of(
            new Spec(
                new int[] {3, 4, 5}, config(16, 16, 8, 0, 0, Remasking.LOW_CONFIDENCE), null, 1),
            new Spec(
                new int[] {6, 7, 8, 9, 10, 11},
                config(8, 8, 8, 0, 0, Remasking.LOW_CONFIDENCE),
                null,
                2),
            new Spec(new int[] {12}, config(12, 12, 4, 0, 1.0, Remasking.LOW_CONFIDENCE), null, 3),
            new Spec(
                new int[] {13, 14}, config(8, 16, 8, 0.7, 0, Remasking.LOW_CONFIDENCE), null, 4),
            new Spec(new int[] {15, 16, 17}, config(16, 16, 16, 0, 0, Remasking.RANDOM), null, 5),
            new Spec(
                new int[] {18, 19, 20, 21},
                config(16, 16, 8, 0, 0, Remasking.LOW_CONFIDENCE),
                new Acceleration(ParallelDecoding.threshold(0.05), Acceleration.Cache.NONE, true),
                6),
            new Spec(
                new int[] {22, 23},
                config(24, 24, 8, 0, 0, Remasking.LOW_CONFIDENCE),
                new Acceleration(ParallelDecoding.factor(1.0), Acceleration.Cache.NONE, false),
                7));
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      List<Denoising> batch = new ArrayList<>();
      for (Spec s : specs) {
        batch.add(
            batcher.request(
                s.prompt(), s.config(), s.acceleration(), new SplittableRandom(s.seed()), null));
      }
      batcher.run(batch);
      int nfe = 0;
      for (int i = 0; i < specs.size(); i++) {
        Generation expected = alone(djl, special, specs.get(i));
        Generation actual = batch.get(i).result();
        assertArrayEquals(expected.completion(0), actual.completion(0), "request " + i);
        assertEquals(expected.nfe(), actual.nfe(), "request " + i);
        assertEquals(expected.queryPositions(), actual.queryPositions(), "request " + i);
        nfe += actual.nfe();
      }
      assertTrue(
          batcher.forwards() < nfe / 2,
          "shared forwards: " + batcher.forwards() + " for " + nfe + " request steps");
    }
  }

  @Test
  void requestsJoinAndLeaveBetweenSteps() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 40);
    Path dir = TinyModels.write(temp.resolve("join"), c, 8, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    SplittableRandom pick = new SplittableRandom(9);
    List<Spec> specs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int[] prompt = new int[1 + pick.nextInt(5)];
      for (int j = 0; j < prompt.length; j++) {
        prompt[j] = pick.nextInt(36);
      }
      int gen = 8 * (1 + pick.nextInt(2));
      specs.add(
          new Spec(
              prompt,
              config(gen, gen, 8, 0, 0, Remasking.LOW_CONFIDENCE),
              i % 2 == 0 ? null : Acceleration.parallel(ParallelDecoding.threshold(0.1)),
              i));
    }
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      List<Denoising> all = new ArrayList<>();
      List<Denoising> batch = new ArrayList<>();
      int step = 0;
      while (all.size() < specs.size() || batcher.step(batch) > 0) {
        if (all.size() < specs.size() && step % 3 == 0) { // one joins every third step
          Spec s = specs.get(all.size());
          Denoising d =
              batcher.request(
                  s.prompt(), s.config(), s.acceleration(), new SplittableRandom(s.seed()), null);
          all.add(d);
          batch.add(d);
        }
        if (all.size() < specs.size() || step % 3 != 0) {
          batcher.step(batch);
        }
        batch.removeIf(Denoising::done); // finished requests leave
        step++;
      }
      for (int i = 0; i < specs.size(); i++) {
        assertTrue(all.get(i).done());
        assertArrayEquals(
            alone(djl, special, specs.get(i)).completion(0),
            all.get(i).result().completion(0),
            "request " + i);
      }
    }
  }

  @Test
  void cachedRequestsShareACacheAndGiveWhatTheyGiveAloneWhenTheirBlocksAlign() throws Exception {
    LladaConfig c = TinyModels.config(24, 4, 2, 2, 36, 50);
    Path dir = TinyModels.write(temp.resolve("cache"), c, 12, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    List<Spec> specs = new ArrayList<>();
    int[][] prompts = {{3, 4, 5}, {6, 7}, {8, 9, 10, 11, 12}, {13}};
    for (int i = 0; i < prompts.length; i++) {
      Acceleration.Cache cache = i % 2 == 0 ? Acceleration.Cache.DUAL : Acceleration.Cache.PREFIX;
      specs.add(
          new Spec(
              prompts[i],
              config(16, 16, 4, 0, i == 3 ? 1.0 : 0, Remasking.LOW_CONFIDENCE),
              new Acceleration(null, cache, false), // the quota: every request in the same block
              i));
    }
    // and two more of each, refreshed incrementally
    for (int i = 0; i < 2; i++) {
      specs.add(
          new Spec(
              prompts[i],
              config(16, 16, 4, 0, 0, Remasking.LOW_CONFIDENCE),
              new Acceleration(null, Acceleration.Cache.DUAL, false, true),
              10 + i));
    }
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      List<Denoising> batch = new ArrayList<>();
      for (Spec s : specs) {
        batch.add(
            batcher.request(
                s.prompt(), s.config(), s.acceleration(), new SplittableRandom(s.seed()), null));
      }
      int maxLive = 0;
      long before = 0;
      while (batcher.step(batch) > 0) {
        maxLive = Math.max(maxLive, batcher.liveCaches());
        System.err.println(
            "DEBUG forwards "
                + (batcher.forwards() - before)
                + " kinds "
                + batch.stream().map(d -> d.done() ? "done" : d.kind() + "@" + d.lo()).toList());
        before = batcher.forwards();
      }
      for (int i = 0; i < specs.size(); i++) {
        Generation expected = alone(djl, special, specs.get(i));
        assertArrayEquals(
            expected.completion(0), batch.get(i).result().completion(0), "request " + i);
        assertEquals(expected.queryPositions(), batch.get(i).result().queryPositions());
      }
      assertEquals(
          2, maxLive, "the whole refreshes share one cache, the incremental ones move to another");
      assertEquals(0, batcher.liveCaches(), "freed once every request is done");
      // 4 blocks of 4 steps: one shared refresh (and from the second block one incremental one in
      // its own cache), then dual and prefix query different spans (two forwards a step, a third
      // for the incremental ones from the second block), except in the last block, where the
      // block is the rest of the canvas (one forward a step, a second for the incremental ones)
      assertEquals((1 + 3 * 2) + 2 * (2 + 3 * 3) + (2 + 3 * 2), batcher.forwards());
    }
  }

  /**
   * Parallel decoding with caches: requests finish blocks at different steps, so some refresh while
   * their cache-mates still read the old cache, several shared caches live at once, and requests
   * join late; each cached forward still computes exactly its requests' own query, so every request
   * gives its solo tokens, NFE and billed positions.
   */
  @Test
  void desynchronisedCachedRequestsJoiningLateGiveWhatTheyGiveAlone() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, 40);
    Path dir = TinyModels.write(temp.resolve("desync"), c, 19, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    SplittableRandom pick = new SplittableRandom(4);
    List<Spec> specs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int[] prompt = new int[1 + pick.nextInt(6)];
      for (int j = 0; j < prompt.length; j++) {
        prompt[j] = pick.nextInt(36);
      }
      int gen = 8 * (2 + pick.nextInt(2));
      Acceleration.Cache cache = i % 3 == 0 ? Acceleration.Cache.PREFIX : Acceleration.Cache.DUAL;
      specs.add(
          new Spec(
              prompt,
              config(gen, gen, 8, 0, i == 5 ? 1.0 : 0, Remasking.LOW_CONFIDENCE),
              new Acceleration(ParallelDecoding.threshold(0.12), cache, i % 2 == 0, i % 4 == 1),
              i));
    }
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      List<Denoising> all = new ArrayList<>();
      List<Denoising> batch = new ArrayList<>();
      int maxLive = 0;
      for (int step = 0; all.size() < specs.size() || !batch.isEmpty(); step++) {
        if (all.size() < specs.size() && step % 2 == 0) { // one joins every other step
          Spec s = specs.get(all.size());
          Denoising d =
              batcher.request(
                  s.prompt(), s.config(), s.acceleration(), new SplittableRandom(s.seed()), null);
          all.add(d);
          batch.add(d);
        }
        batcher.step(batch);
        maxLive = Math.max(maxLive, batcher.liveCaches());
        batch.removeIf(Denoising::done);
      }
      int nfe = 0;
      for (int i = 0; i < specs.size(); i++) {
        Generation expected = alone(djl, special, specs.get(i));
        Generation actual = all.get(i).result();
        assertArrayEquals(expected.completion(0), actual.completion(0), "request " + i);
        assertEquals(expected.nfe(), actual.nfe(), "request " + i);
        assertEquals(expected.queryPositions(), actual.queryPositions(), "request " + i);
        nfe += actual.nfe();
      }
      assertTrue(maxLive >= 2, "several shared caches at once: " + maxLive);
      assertEquals(0, batcher.liveCaches());
      assertTrue(batcher.forwards() < nfe, batcher.forwards() + " forwards for " + nfe);
    }
  }

  @Test
  void aBatchWhoseLogitsWouldExceedTheBoundRunsAsSeveralForwards() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 1, 48, 40);
    Path dir = TinyModels.write(temp.resolve("bound"), c, 23, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    List<Spec> specs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      specs.add(
          new Spec(
              new int[] {3 + i, 4, 5 + i},
              config(16, 16, 8, 0, 0, Remasking.LOW_CONFIDENCE),
              i % 2 == 0 ? null : new Acceleration(null, Acceleration.Cache.DUAL, false),
              i));
    }
    int[] mask = new int[10];
    java.util.Arrays.fill(mask, 7);
    int[][] noisy = {mask.clone()};
    noisy[0][6] = c.maskTokenId();
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      long[] forwards = new long[2];
      for (int bounded = 0; bounded < 2; bounded++) {
        // bounded: two rows of a block's window at a time
        StepBatcher batcher =
            bounded == 1
                ? new StepBatcher(djl, special, 2L * 8 * c.embeddingSize())
                : new StepBatcher(djl, special);
        List<Denoising> batch = new ArrayList<>();
        for (Spec s : specs) {
          batch.add(
              batcher.request(
                  s.prompt(), s.config(), s.acceleration(), new SplittableRandom(s.seed()), null));
        }
        ScoringRows score = new ScoringRows(noisy, mask, 2, 0, c.maskTokenId());
        batcher.step(batch, List.of(score));
        batcher.run(batch);
        for (int i = 0; i < specs.size(); i++) {
          assertArrayEquals(
              alone(djl, special, specs.get(i)).completion(0),
              batch.get(i).result().completion(0),
              "request " + i + (bounded == 1 ? ", bounded" : ""));
        }
        assertTrue(score.done());
        forwards[bounded] = batcher.forwards();
      }
      assertTrue(forwards[1] > forwards[0], java.util.Arrays.toString(forwards));
    }
  }

  @Test
  void aListenerThatThrowsStopsItsRequestAlone() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 1, 24, 30);
    Path dir = TinyModels.write(temp.resolve("throw"), c, 6, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      SamplingConfig config = config(8, 8, 4, 0, 0, Remasking.LOW_CONFIDENCE);
      Acceleration dual = new Acceleration(null, Acceleration.Cache.DUAL, false);
      Denoising failing =
          batcher.request(
              new int[] {3},
              config,
              dual,
              new SplittableRandom(1),
              e -> {
                if (e.step() == 2) {
                  throw new IllegalStateException("client gone");
                }
              });
      Denoising other = batcher.request(new int[] {5}, config, dual, new SplittableRandom(2), null);
      batcher.run(new ArrayList<>(List.of(failing, other)));
      assertTrue(failing.done() && failing.failure() instanceof IllegalStateException);
      assertEquals(3, failing.nfe(), "stopped after the step whose event failed");
      Spec solo = new Spec(new int[] {5}, config, dual, 2);
      assertArrayEquals(alone(djl, special, solo).completion(0), other.result().completion(0));
      assertEquals(0, batcher.liveCaches());
    }
  }

  @Test
  void likelihoodRowsJoinTheSharedForwardAndScoreAsAlone() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 40);
    Path dir = TinyModels.write(temp.resolve("score"), c, 14, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    int mask = c.maskTokenId();
    int[] truth = {3, 4, 5, 6, 7, 8, 9, 10, 11};
    int[][] noisy = {truth.clone(), truth.clone(), truth.clone()};
    noisy[0][4] = mask;
    noisy[1][5] = mask;
    noisy[1][8] = mask;
    noisy[2][3] = mask;
    noisy[2][6] = mask;
    noisy[2][7] = mask;
    int[] shorter = {12, 13, 14, 15, 16};
    int[][] noisyShorter = {shorter.clone()};
    noisyShorter[0][3] = mask;
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      Spec spec =
          new Spec(new int[] {20, 21}, config(8, 8, 8, 0, 0, Remasking.LOW_CONFIDENCE), null, 3);
      Denoising d =
          batcher.request(spec.prompt(), spec.config(), null, new SplittableRandom(3), null);
      ScoringRows plain = new ScoringRows(noisy, truth, 3, 0, mask);
      ScoringRows guided = new ScoringRows(noisyShorter, shorter, 2, 1.5, mask);
      assertEquals(3, batcher.step(List.of(d), List.of(plain, guided)));
      assertTrue(plain.done() && guided.done());
      assertEquals(1, batcher.forwards(), "one shared forward");
      double[] expected = losses(djl, noisy, truth, 3, 0, mask);
      double[] actual = plain.losses();
      for (int r = 0; r < 3; r++) {
        assertEquals(expected[r], actual[r], 1e-4 * Math.abs(expected[r]), "row " + r);
        assertTrue(actual[r] > 0);
      }
      assertEquals(losses(djl, noisyShorter, shorter, 2, 1.5, mask)[0], guided.losses()[0], 1e-3);
      batcher.run(List.of(d));
      assertArrayEquals(alone(djl, special, spec).completion(0), d.result().completion(0));
    }
  }

  /** The obvious scoring: the rows alone, guided on the heap, Σ −log softmax at the masks. */
  private static double[] losses(
      DjlMaskPredictor model, int[][] noisy, int[] truth, int lp, double cfg, int mask) {
    int[][] rows = noisy;
    if (cfg > 0) {
      rows = new int[2 * noisy.length][];
      for (int r = 0; r < noisy.length; r++) {
        rows[r] = noisy[r];
        rows[noisy.length + r] = noisy[r].clone();
        java.util.Arrays.fill(rows[noisy.length + r], 0, lp, mask);
      }
    }
    try (var raw = model.logits(rows, null, 0, truth.length);
        var logits = cfg > 0 ? dev.llada.core.model.VocabularyReductions.guide(raw, cfg) : null) {
      var l = logits != null ? logits : raw;
      double[] out = new double[noisy.length];
      for (int r = 0; r < noisy.length; r++) {
        for (int p = lp; p < truth.length; p++) {
          if (noisy[r][p] == mask) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < l.vocab(); v++) {
              max = Math.max(max, l.get(r, p, v));
            }
            double sum = 0;
            for (int v = 0; v < l.vocab(); v++) {
              sum += Math.exp(l.get(r, p, v) - max);
            }
            out[r] -= l.get(r, p, truth[p]) - max - Math.log(sum);
          }
        }
      }
      return out;
    }
  }

  @Test
  void aRequestThatLeavesEarlyGivesUpItsCacheRows() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 1, 24, 30);
    Path dir = TinyModels.write(temp.resolve("leave"), c, 2, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      StepBatcher batcher = new StepBatcher(djl, special);
      Acceleration dual = new Acceleration(null, Acceleration.Cache.DUAL, false);
      SamplingConfig config = config(8, 8, 4, 0, 0, Remasking.LOW_CONFIDENCE);
      Denoising a = batcher.request(new int[] {3}, config, dual, new SplittableRandom(1), null);
      Denoising b = batcher.request(new int[] {4}, config, dual, new SplittableRandom(2), null);
      List<Denoising> batch = new ArrayList<>(List.of(a, b));
      batcher.step(batch);
      batcher.step(batch);
      assertEquals(1, batcher.liveCaches());
      batch.remove(a);
      batcher.leave(a); // cancelled
      assertEquals(1, batcher.liveCaches(), "b still reads its rows");
      batcher.run(batch);
      assertEquals(0, batcher.liveCaches());
      assertTrue(b.done());
      assertTrue(a.left() && a.done(), "a left: it takes no more steps");
      assertEquals(0, batcher.step(List.of(a)), "a left request is not stepped again");
      Spec solo = new Spec(new int[] {4}, config, dual, 2);
      assertArrayEquals(
          alone(djl, special, solo).completion(0), b.result().completion(0), "b as alone");
    }
  }
}
