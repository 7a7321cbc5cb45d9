package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.Random;

/**
 * Run by {@link MklCodePathTest} in a child JVM with the shim preloaded: the packed TorchScript
 * forward on MKL's Intel code path against the float64 oracle. Exits 0 after printing "ok".
 */
final class MklCodePathCheck {

  private MklCodePathCheck() {}

  public static void main(String[] args) throws Exception {
    if (!MklCodePath.shimLoaded()) {
      System.err.println("the shim is not loaded in this process");
      System.exit(3);
    }
    Path temp = Path.of(args[0]);
    Random random = new Random(7);
    int[][] shapes = {
      // d, heads, kvHeads, layers, ff, vocab, B, T: row counts 128 and 256, GQA, head_dim 128
      {64, 4, 4, 2, 160, 97, 2, 64},
      {128, 4, 2, 1, 344, 211, 1, 256},
      {256, 2, 2, 1, 48, 41, 1, 40},
    };
    for (int[] s : shapes) {
      LladaConfig c = TinyModels.config(s[0], s[1], s[2], s[3], s[4], s[5]);
      Path dir = TinyModels.write(temp.resolve("m" + s[0]), c, random.nextLong(), DType.F32, 0);
      int[][] tokens = new int[s[6]][s[7]];
      for (int[] row : tokens) {
        for (int i = 0; i < row.length; i++) {
          row[i] = random.nextInt(c.vocabSize());
        }
      }
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
          Checkpoint checkpoint = Checkpoint.open(dir)) {
        DjlMaskPredictor script = djl.using(DjlMaskPredictor.Path.TORCHSCRIPT);
        DjlMaskPredictorTest.assertClose(
            new OracleForward(c, checkpoint).logits(tokens, null),
            script.logits(tokens, null, 0, s[7]),
            0,
            "MKL's Intel code path, d " + s[0]);
        if (!djl.mklPacked()) {
          throw new AssertionError("the projections did not run on MKL-packed weights");
        }
      }
    }
    System.out.println("ok");
  }
}
