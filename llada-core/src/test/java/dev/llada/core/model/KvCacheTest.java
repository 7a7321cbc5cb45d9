package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cached forward (Fast-dLLM's block-wise KV cache) against the float64 oracle's obvious one: a
 * fresh cache gives the full forward's logits; a stale one gives exactly what attention over the
 * cached keys and values gives; padding, grouped-query heads, RoPE offsets and guidance-sized
 * batches included.
 */
class KvCacheTest {

  @TempDir Path temp;

  @Test
  void aFreshCacheGivesTheFullForwardsLogitsAtEveryQuerySpan() throws Exception {
    Random random = new Random(5);
    int[][] shapes = { // d, heads, kvHeads, layers, ff, vocab
      {32, 4, 4, 2, 40, 61}, {24, 4, 2, 2, 36, 50}, {256, 2, 1, 1, 48, 41}
    };
    java.util.List<LladaConfig> configs = new java.util.ArrayList<>();
    for (int[] s : shapes) {
      configs.add(TinyModels.config(s[0], s[1], s[2], s[3], s[4], s[5]));
    }
    // LLaDA-MoE: its own forward text keeps the same cache contract (issue #19)
    configs.add(TinyModels.moeConfig(32, 4, 2, 2, 16, 45, 4, 2, false, false));
    for (LladaConfig c : configs) {
      int[] s = {c.dModel(), c.nHeads(), c.nKvHeads(), c.nLayers(), c.mlpHiddenSize()};
      Path dir =
          TinyModels.write(
              temp.resolve("m" + configs.indexOf(c)), c, random.nextLong(), DType.F32, 0);
      int t = 14;
      int[][] tokens = DjlMaskPredictorTest.randomTokens(random, 3, t, c.vocabSize());
      boolean[][] mask = padded(3, t, new int[] {2, 0, 5});
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
          KvCache cache = djl.newCache()) {
        OracleMaskPredictor oracle = new OracleMaskPredictor(dir);
        double[][][] full = oracleForward(c, dir).logits(tokens, mask);
        // the refresh itself is a full forward
        DjlMaskPredictorTest.assertClose(
            full, djl.logits(tokens, mask, 0, t, new CacheStep.Refresh(cache)), 0, "refresh");
        assertEquals(3, cache.rows());
        assertEquals(t, cache.length());
        assertEquals(3L * t * c.nLayers() * 2 * c.nKvHeads() * c.headDim() * 4, cache.bytes());
        for (int[] span : new int[][] {{6, 10}, {6, t}, {0, 3}, {13, 14}}) {
          String what = java.util.Arrays.toString(s) + " span " + java.util.Arrays.toString(span);
          CacheStep reuse = new CacheStep.Reuse(cache, span[0], span[1]);
          DjlMaskPredictorTest.assertClose(
              full, djl.logits(tokens, mask, span[0], span[1], reuse), span[0], what);
          try (KvCache own = oracle.newCache()) {
            oracle.logits(tokens, mask, 0, t, new CacheStep.Refresh(own)).close();
            DjlMaskPredictorTest.assertClose(
                full,
                oracle.logits(
                    tokens, mask, span[0], span[1], new CacheStep.Reuse(own, span[0], span[1])),
                span[0],
                "oracle " + what);
          }
        }
        // a forward of some of the cache's rows: rows 1 and 2 of the canvas
        int[][] lastTwo = {tokens[1], tokens[2]};
        boolean[][] lastTwoMask = {mask[1], mask[2]};
        double[][][] fullLastTwo = {full[1], full[2]};
        DjlMaskPredictorTest.assertClose(
            fullLastTwo,
            djl.logits(lastTwo, lastTwoMask, 6, 10, new CacheStep.Reuse(cache, 6, 10, 1)),
            6,
            "rows 1..3 of the cache");
        assertThrows(
            IllegalArgumentException.class,
            () -> djl.logits(lastTwo, lastTwoMask, 6, 10, new CacheStep.Reuse(cache, 6, 10, 2)),
            "rows past the cache");
        // logits of part of the query only
        DjlMaskPredictorTest.assertClose(
            full, djl.logits(tokens, mask, 7, 9, new CacheStep.Reuse(cache, 6, t)), 7, "window");
      }
    }
  }

  @Test
  void aStaleCacheGivesAttentionOverTheCachedKeysAndValues() throws Exception {
    LladaConfig c = TinyModels.config(24, 4, 2, 2, 36, 50);
    Path dir = TinyModels.write(temp.resolve("stale"), c, 11, DType.F32, 0);
    Random random = new Random(8);
    int t = 16;
    int[][] before = DjlMaskPredictorTest.randomTokens(random, 2, t, c.vocabSize());
    boolean[][] mask = padded(2, t, new int[] {3, 0});
    int[][] after = new int[2][];
    for (int r = 0; r < 2; r++) {
      after[r] = before[r].clone();
      after[r][8] = (after[r][8] + 1) % c.vocabSize(); // inside the query span
      after[r][12] = (after[r][12] + 7) % c.vocabSize(); // outside it: the cache still has the old
      after[r][4] = (after[r][4] + 3) % c.vocabSize();
    }
    OracleMaskPredictor oracle = new OracleMaskPredictor(dir);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
        KvCache cache = djl.newCache();
        KvCache oracleCache = oracle.newCache()) {
      djl.logits(before, mask, 0, t, new CacheStep.Refresh(cache)).close();
      oracle.logits(before, mask, 0, t, new CacheStep.Refresh(oracleCache)).close();
      double[][][] expected;
      try (Logits o = oracle.logits(after, mask, 6, 10, new CacheStep.Reuse(oracleCache, 6, 10))) {
        expected = toArray(o, 6);
      }
      DjlMaskPredictorTest.assertClose(
          expected, djl.logits(after, mask, 6, 10, new CacheStep.Reuse(cache, 6, 10)), 6, "dual");
      // the approximation is real: the full forward of the new canvas differs
      double[][][] fresh = oracleForward(c, dir).logits(after, mask);
      double diff = 0;
      for (int r = 0; r < 2; r++) {
        for (int p = 6; p < 10; p++) {
          for (int v = 0; v < c.vocabSize(); v++) {
            diff = Math.max(diff, Math.abs(fresh[r][p][v] - expected[r][p][v]));
          }
        }
      }
      assertTrue(diff > 1e-3, "stale keys change the logits: " + diff);
      // an update from position 6 keeps the cache's keys before it and takes the new canvas's after
      try (KvCache target = djl.newCache();
          KvCache oracleTarget = oracle.newCache()) {
        double[][][] updated;
        try (Logits o =
            oracle.logits(
                after, mask, 6, t, new CacheStep.Update(oracleCache, 6, 0, oracleTarget))) {
          updated = toArray(o, 6);
        }
        DjlMaskPredictorTest.assertClose(
            updated,
            djl.logits(after, mask, 6, t, new CacheStep.Update(cache, 6, 0, target)),
            6,
            "update");
        assertEquals(2, target.rows());
        assertEquals(t, target.length());
        int[][] later = {after[0].clone(), after[1].clone()};
        later[0][13] = (later[0][13] + 5) % c.vocabSize();
        double[][][] reread;
        try (Logits o =
            oracle.logits(later, mask, 12, 16, new CacheStep.Reuse(oracleTarget, 12, 16))) {
          reread = toArray(o, 12);
        }
        DjlMaskPredictorTest.assertClose(
            reread,
            djl.logits(later, mask, 12, 16, new CacheStep.Reuse(target, 12, 16)),
            12,
            "the updated cache read back");
      }
    }
  }

  @Test
  void badUseIsRefusedAndNothingLeaks() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 1, 24, 37);
    Path dir = TinyModels.write(temp.resolve("bad"), c, 3, DType.F32, 0);
    int[][] tokens = DjlMaskPredictorTest.randomTokens(new Random(1), 2, 10, c.vocabSize());
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
        KvCache cache = djl.newCache()) {
      assertThrows(
          IllegalStateException.class,
          () -> djl.logits(tokens, null, 2, 4, new CacheStep.Reuse(cache, 2, 4)),
          "an empty cache");
      djl.logits(tokens, null, 0, 10, new CacheStep.Refresh(cache)).close();
      int[][] shorter = {
        java.util.Arrays.copyOf(tokens[0], 9), java.util.Arrays.copyOf(tokens[1], 9)
      };
      assertThrows(
          IllegalArgumentException.class,
          () -> djl.logits(shorter, null, 2, 4, new CacheStep.Reuse(cache, 2, 4)),
          "another canvas length");
      assertThrows(
          IllegalArgumentException.class,
          () -> djl.logits(tokens, null, 1, 4, new CacheStep.Reuse(cache, 2, 4)),
          "logits outside the query");
      assertThrows(
          IllegalArgumentException.class,
          () -> djl.logits(tokens, null, 2, 4, new CacheStep.Reuse(cache, 2, 11)),
          "a query past the canvas");
      assertThrows(IllegalArgumentException.class, () -> new CacheStep.Reuse(cache, 4, 4));
      DjlMaskPredictor ops = djl.using(DjlMaskPredictor.Path.OPS);
      assertFalse(ops.caches());
      assertThrows(
          UnsupportedOperationException.class,
          () -> ops.logits(tokens, null, 0, 10, new CacheStep.Refresh(cache)));
      // refreshes and reuses hold no native memory beyond the cache itself
      int resident = djl.residentArrays();
      for (int i = 0; i < 50; i++) {
        djl.logits(tokens, null, 0, 10, new CacheStep.Refresh(cache)).close();
        djl.logits(tokens, null, 3, 6, new CacheStep.Reuse(cache, 3, 6)).close();
      }
      assertEquals(resident, djl.residentArrays());
      cache.close();
      assertTrue(cache.isEmpty());
      assertEquals(0, cache.bytes());
    }
  }

  /** Rows whose first {@code pads[r]} positions are padding. */
  private static boolean[][] padded(int rows, int t, int[] pads) {
    boolean[][] mask = new boolean[rows][t];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < t; i++) {
        mask[r][i] = i >= pads[r];
      }
    }
    return mask;
  }

  private static OracleForward oracleForward(LladaConfig c, Path dir) {
    try (var checkpoint = dev.llada.core.weights.Checkpoint.open(dir)) {
      return new OracleForward(c, checkpoint);
    }
  }

  /** The logits as [row][position + offset][vocab] (positions before offset left null). */
  private static double[][][] toArray(Logits l, int offset) {
    double[][][] out = new double[l.rows()][offset + l.positions()][];
    for (int r = 0; r < l.rows(); r++) {
      for (int p = 0; p < l.positions(); p++) {
        out[r][offset + p] = new double[l.vocab()];
        for (int v = 0; v < l.vocab(); v++) {
          out[r][offset + p][v] = l.get(r, p, v);
        }
      }
    }
    return out;
  }
}
