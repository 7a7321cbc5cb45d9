package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spliced embeddings (LLaDA-V's image features at the placeholders) in the op-by-op forward,
 * against the float64 oracle run on the same embeddings: several images, several rows, dense and
 * MoE.
 */
class SpliceTest {

  @TempDir Path temp;

  @Test
  void splicedRowsReplaceTheirTokensEmbeddingsExactlyWhereTheyAreSaid() throws Exception {
    Random random = new Random(20);
    List<LladaConfig> configs =
        List.of(
            TinyModels.config(32, 4, 4, 2, 40, 61),
            TinyModels.moeConfig(32, 4, 2, 2, 16, 45, 4, 2, false, false));
    int n = 0;
    for (LladaConfig c : configs) {
      Path dir = TinyModels.write(temp.resolve("m" + n++), c, random.nextLong(), DType.F32, 0);
      int b = 2;
      int t = 10;
      int[][] tokens = DjlMaskPredictorTest.randomTokens(random, b, t, c.vocabSize());
      // row 0: an "image" of 3 rows at 1..3; row 1: two images, at 0..1 and at 6
      int[] rows = {0, 0, 0, 1, 1, 1};
      int[] positions = {1, 2, 3, 0, 1, 6};
      double[][][] embeds = new double[b][t][];
      float[] features = new float[rows.length * c.dModel()];
      for (int i = 0; i < rows.length; i++) {
        embeds[rows[i]][positions[i]] = new double[c.dModel()];
        for (int j = 0; j < c.dModel(); j++) {
          float v = (float) random.nextGaussian();
          features[i * c.dModel() + j] = v;
          embeds[rows[i]][positions[i]][j] = v;
        }
      }
      try (LladaNetwork network = LladaNetwork.load(dir, Device.cpu(), false);
          NDManager m = network.manager().newSubManager();
          Checkpoint checkpoint = Checkpoint.open(dir)) {
        long[] ids = new long[b * t];
        for (int r = 0; r < b; r++) {
          for (int p = 0; p < t; p++) {
            ids[r * t + p] = tokens[r][p];
          }
        }
        NDArray f = m.create(features, new Shape(rows.length, c.dModel()));
        double[][][] want =
            new OracleForward(c, checkpoint).logitsWithEmbeddings(tokens, null, embeds);
        Splice splice = new Splice(rows, positions, f);
        // the TorchScript forward, too (inference)
        assertClose(
            want,
            network
                .scriptedForward(m.create(ids, new Shape(b, t)), null, 0, t, splice)
                .toFloatArray(),
            b,
            t,
            c.embeddingSize(),
            "torchscript " + c.family());
        float[] got =
            network
                .forward(m.create(ids, new Shape(b, t)), null, 0, t, null, splice)
                .toFloatArray();
        // through the predictor every sampler uses: whole, and cached (refresh, then a reused
        // window)
        DjlMaskPredictor spliced = DjlMaskPredictor.of(network).withSplice(splice);
        DjlMaskPredictorTest.assertClose(want, spliced.logits(tokens, null, 0, t), 0, "predictor");
        try (KvCache cache = spliced.newCache()) {
          spliced.logits(tokens, null, 0, t, new CacheStep.Refresh(cache)).close();
          DjlMaskPredictorTest.assertClose(
              want,
              spliced.logits(tokens, null, 4, 8, new CacheStep.Reuse(cache, 4, 8)),
              4,
              "cached window");
          DjlMaskPredictorTest.assertClose(
              want,
              spliced.logits(tokens, null, 0, 3, new CacheStep.Reuse(cache, 0, 3)),
              0,
              "cached window over the first image");
        }
        double maxAbs = 0;
        double maxErr = 0;
        int v = c.embeddingSize();
        for (int r = 0; r < b; r++) {
          for (int p = 0; p < t; p++) {
            for (int k = 0; k < v; k++) {
              maxAbs = Math.max(maxAbs, Math.abs(want[r][p][k]));
              maxErr = Math.max(maxErr, Math.abs(got[(r * t + p) * v + k] - want[r][p][k]));
            }
          }
        }
        assertTrue(maxErr / maxAbs <= 1e-4, c.family() + ": max rel. error " + maxErr / maxAbs);
        // and the splice changes the logits (the oracle without it differs)
        double[][][] plain = new OracleForward(c, checkpoint).logits(tokens, null);
        assertTrue(Math.abs(plain[0][2][0] - want[0][2][0]) > 1e-6);
        assertThrows(
            IllegalArgumentException.class,
            () ->
                network.forward(
                    m.create(ids, new Shape(b, t)),
                    null,
                    0,
                    t,
                    null,
                    new Splice(new int[] {2}, new int[] {0}, f.get("0:1"))),
            "a row outside the canvas");
      }
    }
  }

  private static void assertClose(
      double[][][] want, float[] got, int b, int t, int v, String what) {
    double maxAbs = 0;
    double maxErr = 0;
    for (int r = 0; r < b; r++) {
      for (int p = 0; p < t; p++) {
        for (int k = 0; k < v; k++) {
          maxAbs = Math.max(maxAbs, Math.abs(want[r][p][k]));
          maxErr = Math.max(maxErr, Math.abs(got[(r * t + p) * v + k] - want[r][p][k]));
        }
      }
    }
    assertTrue(maxErr / maxAbs <= 1e-4, what + ": max rel. error " + maxErr / maxAbs);
  }
}
