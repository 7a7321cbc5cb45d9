package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL forward against the float64 oracle, on random tiny configs. */
public class DjlMaskPredictorTest {

  @TempDir Path temp;

  @Test
  void matchesTheOracleOnRandomConfigs() throws Exception {
    Random random = new Random(42);
    int[][] shapes = {
      // d, heads, kvHeads, layers, ff, vocab
      {16, 2, 2, 1, 24, 37},
      {32, 4, 4, 2, 40, 61},
      {24, 4, 2, 2, 36, 50}, // grouped-query
      {32, 2, 1, 3, 20, 29},
      {256, 2, 1, 1, 48, 41}, // LLaDA's head_dim, 128
    };
    for (int[] s : shapes) {
      LladaConfig c = TinyModels.config(s[0], s[1], s[2], s[3], s[4], s[5]);
      Path dir =
          TinyModels.write(
              temp.resolve("m" + s[0] + "-" + s[2] + "-" + s[3]),
              c,
              random.nextLong(),
              DType.F32,
              0);
      int b = 2;
      int t = 3 + random.nextInt(8);
      int[][] tokens = randomTokens(random, b, t, c.vocabSize());
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
          Checkpoint checkpoint = Checkpoint.open(dir)) {
        double[][][] expected = new OracleForward(c, checkpoint).logits(tokens, null);
        Logits actual = djl.logits(tokens, null, 0, t);
        assertClose(expected, actual, 0, "config " + java.util.Arrays.toString(s));
        // the fused TorchScript forward matches as well
        Logits script = djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, null, 0, t);
        assertClose(expected, script, 0, "torchscript path " + java.util.Arrays.toString(s));
        // and so does the op-by-op forward, the one training differentiates through
        Logits ops = djl.using(DjlMaskPredictor.Path.OPS).logits(tokens, null, 0, t);
        assertClose(expected, ops, 0, "op-by-op path " + java.util.Arrays.toString(s));
        // logits at a window only equal the same positions of the full pass
        Logits window = djl.logits(tokens, null, 1, t - 1);
        assertClose(expected, window, 1, "window");
      }
    }
  }

  @Test
  void paddingKeysAreIgnoredAndLeftPaddingMatchesTheUnpaddedRow() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 48, 41);
    Path dir = TinyModels.write(temp.resolve("pad"), c, 7, DType.F32, 0);
    int pad = c.padTokenId();
    int[][] padded = {{pad, pad, 5, 9, 11, 3}, {4, 8, 15, 16, 23, 2}};
    boolean[][] mask = {
      {false, false, true, true, true, true}, {true, true, true, true, true, true}
    };
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
        Checkpoint checkpoint = Checkpoint.open(dir)) {
      OracleForward oracle = new OracleForward(c, checkpoint);
      assertClose(oracle.logits(padded, mask), djl.logits(padded, mask, 0, 6), 0, "padded batch");
      assertClose(
          oracle.logits(padded, mask),
          djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(padded, mask, 0, 6),
          0,
          "padded batch, torchscript path");
      // RoPE depends only on relative offsets: the padded row equals the unpadded sequence
      try (Logits actual = djl.logits(padded, mask, 0, 6);
          Logits alone = djl.logits(new int[][] {{5, 9, 11, 3}}, null, 0, 4)) {
        double worst = 0;
        for (int p = 0; p < 4; p++) {
          for (int v = 0; v < c.embeddingSize(); v++) {
            worst = Math.max(worst, Math.abs(actual.get(0, p + 2, v) - alone.get(0, p, v)));
          }
        }
        assertTrue(worst < 1e-3, "padded vs unpadded differ by " + worst);
      }
    }
  }

  @Test
  void bf16AndF16CheckpointsAreWidenedInJava() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 1, 24, 33);
    for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
      Path dir = TinyModels.write(temp.resolve(dtype.name()), c, 3, dtype, 0);
      int[][] tokens = {{1, 2, 3, 4, 5}};
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
          Checkpoint checkpoint = Checkpoint.open(dir)) {
        assertEquals(java.util.Set.of(dtype), checkpoint.dtypes());
        assertClose(
            new OracleForward(c, checkpoint).logits(tokens, null),
            djl.logits(tokens, null, 0, 5),
            0,
            dtype.name());
      }
    }
  }

  @Test
  void nativeMemoryDoesNotGrowAcrossAThousandForwards() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 2, 24, 31);
    Path dir = TinyModels.write(temp.resolve("leak"), c, 9, DType.F32, 0);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      int[][] tokens = {{1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}};
      boolean[][] mask = {
        {false, true, true, true, true, true, true, true},
        {true, true, true, true, true, true, true, true}
      };
      // the first TorchScript forward keeps its RoPE tables (two arrays, for lengths up to 8)
      djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, mask, 2, 8).close();
      int resident = djl.residentArrays();
      djl.using(DjlMaskPredictor.Path.TORCHSCRIPT)
          .logits(new int[][] {{1, 2, 3}}, null, 0, 3)
          .close();
      assertEquals(resident, djl.residentArrays(), "a shorter length reuses the tables");
      for (int i = 0; i < 1000; i++) {
        djl.logits(tokens, mask, 2, 8).close();
        djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, mask, 2, 8).close();
      }
      assertEquals(resident, djl.residentArrays(), "arrays left behind by forwards");
    }
  }

  /**
   * Logits view the forward's output tensor (no copy into the heap): closing frees it, reading
   * afterwards throws instead of touching freed memory, and logits a caller never closes are freed
   * by the cleaner once unreachable.
   */
  @Test
  void nativeLogitsAreFreedOnCloseAndByTheCleaner() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 2, 24, 31);
    Path dir = TinyModels.write(temp.resolve("view"), c, 4, DType.F32, 0);
    int[][] tokens = {{1, 2, 3, 4, 5, 6}};
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
        Checkpoint checkpoint = Checkpoint.open(dir)) {
      djl.logits(tokens, null, 0, 6).close();
      int resident = djl.residentArrays();
      Logits open = djl.logits(tokens, null, 0, 6);
      assertTrue(open.isNative());
      assertEquals(resident + 1, djl.residentArrays(), "the open logits hold their tensor");
      float[] copy = open.toArray();
      assertClose(new OracleForward(c, checkpoint).logits(tokens, null), open, 0, "view");
      assertEquals(resident, djl.residentArrays(), "closed logits free their tensor");
      assertThrows(IllegalStateException.class, () -> open.get(0, 0, 0));
      assertThrows(IllegalStateException.class, () -> open.read(0, copy, 0, 1));
      open.close(); // idempotent
      for (int i = 0; i < 20; i++) {
        djl.logits(tokens, null, 0, 6); // never closed
      }
      assertTrue(djl.residentArrays() > resident);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (djl.residentArrays() > resident && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
      }
      assertEquals(resident, djl.residentArrays(), "the cleaner frees forgotten logits");
    }
    DjlMaskPredictor closed = DjlMaskPredictor.load(dir, "cpu");
    Logits outlived = closed.logits(tokens, null, 0, 6);
    closed.close();
    assertThrows(IllegalStateException.class, () -> outlived.get(0, 0, 0), "model closed");
  }

  /**
   * On this platform's libtorch (x86-64 with MKL) a loaded model runs its projections on MKL-packed
   * weights; a packing is made per row count B·T, and calls that alternate row counts, windows and
   * padding still match the oracle (a stale packing would not).
   */
  @Test
  void packedProjectionsMatchTheOracleAcrossRowCounts() throws Exception {
    Random random = new Random(5);
    LladaConfig c = TinyModels.config(32, 4, 2, 2, 40, 45);
    Path dir = TinyModels.write(temp.resolve("packed"), c, 11, DType.F32, 0);
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
        Checkpoint checkpoint = Checkpoint.open(dir)) {
      DjlMaskPredictor script = djl.using(DjlMaskPredictor.Path.TORCHSCRIPT);
      OracleForward oracle = new OracleForward(c, checkpoint);
      // row counts alternate; lengths grow past the RoPE tables kept so far (7 → 15 → 20)
      int[][] shapes = {{1, 7}, {2, 7}, {1, 7}, {3, 5}, {2, 7}, {1, 15}, {2, 9}, {1, 20}, {1, 7}};
      for (int[] shape : shapes) {
        int[][] tokens = randomTokens(random, shape[0], shape[1], c.vocabSize());
        boolean[][] mask = new boolean[shape[0]][shape[1]];
        for (boolean[] row : mask) {
          java.util.Arrays.fill(row, true);
        }
        mask[0][0] = false; // one padding key
        assertClose(
            oracle.logits(tokens, null),
            script.logits(tokens, null, 0, shape[1]),
            0,
            "packed " + java.util.Arrays.toString(shape));
        assertClose(
            oracle.logits(tokens, mask),
            script.logits(tokens, mask, 2, shape[1]),
            2,
            "packed, padded, window " + java.util.Arrays.toString(shape));
      }
      assertTrue(djl.mklPacked(), "the projections run on MKL-packed weights");
      // row counts 7, 14, 15, 18, 20, then 7 again (evicted at 20, packed anew): four packings kept
      assertEquals(4, TorchScriptForward.maxPackings(c));
      assertEquals(4, djl.mklPackings(), "least recently used packing evicted");
    }
    System.setProperty("llada.mkl_pack", "false");
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
      djl.using(DjlMaskPredictor.Path.TORCHSCRIPT)
          .logits(new int[][] {{1, 2, 3}}, null, 0, 3)
          .close();
      assertFalse(djl.mklPacked(), "-Dllada.mkl_pack=false turns packing off");
    } finally {
      System.clearProperty("llada.mkl_pack");
    }
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu", false);
        Checkpoint checkpoint = Checkpoint.open(dir)) {
      int[][] tokens = {{1, 2, 3, 4, 5}};
      assertClose(
          new OracleForward(c, checkpoint).logits(tokens, null),
          djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, null, 0, 5),
          0,
          "unpacked by the load option");
      assertFalse(djl.mklPacked(), "the load option turns packing off");
      assertEquals(null, System.getProperty("llada.mkl_pack"), "no global switch touched");
    }
  }

  /** Closing a model twice (a worker's shutdown after an eviction, say) frees everything once. */
  @Test
  void closingAModelTwiceIsHarmless() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 2, 24, 31);
    Path dir = TinyModels.write(temp.resolve("twice"), c, 4, DType.F32, 0);
    DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
    djl.using(DjlMaskPredictor.Path.TORCHSCRIPT)
        .logits(new int[][] {{1, 2, 3}}, null, 0, 3)
        .close();
    assertTrue(djl.mklPacked());
    djl.close();
    djl.close();
    assertThrows(
        IllegalStateException.class,
        () -> djl.logits(new int[][] {{1, 2, 3}}, null, 0, 3),
        "a closed model refuses forwards");
  }

  /** Packings are kept within a memory budget: several for tiny models, one for large ones. */
  @Test
  void packingsAreKeptWithinTheirMemoryBudget() {
    assertEquals(4, TorchScriptForward.maxPackings(TinyModels.config(256, 8, 8, 4, 688, 4096)));
    // 24 layers of d 1024: ≈ 1.2 GB of projections, above the 256 MiB budget: one packing only
    assertEquals(
        1, TorchScriptForward.maxPackings(TinyModels.config(1024, 16, 16, 24, 2816, 32000)));
  }

  @Test
  void mismatchedCheckpointsAreRejectedWithReasons() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 1, 24, 33);
    Path dir = TinyModels.write(temp.resolve("bad"), c, 1, DType.F32, 0);
    // a config that disagrees with the weights
    LladaConfig wider = TinyModels.config(16, 2, 2, 1, 32, 33);
    Files.writeString(dir.resolve("config.json"), wider.toJson().toString());
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> DjlMaskPredictor.load(dir, "cpu"));
    assertTrue(
        e.getMessage().contains("ff_proj.weight has shape [24, 16], config.json implies [32, 16]"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DjlMaskPredictor.device("tpu"));
  }

  public static int[][] randomTokens(Random random, int b, int t, int vocab) {
    int[][] tokens = new int[b][t];
    for (int[] row : tokens) {
      for (int i = 0; i < t; i++) {
        row[i] = random.nextInt(vocab);
      }
    }
    return tokens;
  }

  /** max |a - e| / max |e| <= 1e-4 over the window starting at {@code from}; closes actual. */
  public static void assertClose(double[][][] expected, Logits actual, int from, String what) {
    double maxAbs = 0;
    double maxErr = 0;
    try (actual) {
      for (int r = 0; r < actual.rows(); r++) {
        for (int p = 0; p < actual.positions(); p++) {
          for (int v = 0; v < actual.vocab(); v++) {
            double e = expected[r][p + from][v];
            maxAbs = Math.max(maxAbs, Math.abs(e));
            maxErr = Math.max(maxErr, Math.abs(actual.get(r, p, v) - e));
          }
        }
      }
    }
    assertTrue(maxAbs > 0.1, what + ": logits suspiciously small");
    assertTrue(maxErr / maxAbs <= 1e-4, what + ": max relative error " + maxErr / maxAbs);
  }
}
