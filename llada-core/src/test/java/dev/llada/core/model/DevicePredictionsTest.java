package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.DType;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vocabulary work on the device (DjlMaskPredictor.predict) equals the Java reductions on the
 * same forward's logits (VocabularyReductions): argmax with banned ids, confidence with unconfident
 * ids, guidance, padded rows, both forwards; on random tiny models and inputs.
 */
class DevicePredictionsTest {

  @TempDir Path temp;

  @Test
  void deviceReductionsEqualTheJavaOnesOnRandomInputs() throws Exception {
    Random random = new Random(2026);
    for (int trial = 0; trial < 6; trial++) {
      int vocab = 40 + random.nextInt(200);
      LladaConfig c = TinyModels.config(32, 4, 2, 2, 48, vocab);
      Path dir = TinyModels.write(temp.resolve("m" + trial), c, random.nextLong(), DType.F32, 0);
      int rows = 1 + random.nextInt(3);
      int t = 4 + random.nextInt(12);
      int[][] tokens = new int[rows][t];
      boolean[][] mask = trial % 2 == 0 ? null : new boolean[rows][t];
      for (int r = 0; r < rows; r++) {
        int pad = mask == null ? 0 : random.nextInt(3);
        for (int i = 0; i < t; i++) {
          tokens[r][i] = i < pad ? c.padTokenId() : random.nextInt(c.vocabSize());
          if (mask != null) {
            mask[r][i] = i >= pad;
          }
        }
      }
      int from = random.nextInt(t / 2);
      int to = from + 1 + random.nextInt(t - from);
      int eos = random.nextInt(vocab);
      int eot = random.nextInt(vocab);
      int[][] bans = {{}, {eos}};
      int[][] unconfident = {{}, {eos, eot}};
      boolean[][] someWanted = new boolean[rows][to - from];
      for (boolean[] w : someWanted) {
        for (int i = 0; i < w.length; i++) {
          w[i] = random.nextBoolean();
        }
      }
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu")) {
        for (DjlMaskPredictor.Path path : DjlMaskPredictor.Path.values()) {
          DjlMaskPredictor p = djl.using(path);
          for (int[] banned : bans) {
            for (int[] unsure : unconfident) {
              String what = "trial " + trial + " " + path + " banned " + banned.length;
              try (Logits logits = p.logits(tokens, mask, from, to)) {
                assertSame(
                    VocabularyReductions.predict(logits, banned, unsure, null),
                    p.predict(tokens, mask, from, to, 0, banned, unsure, null),
                    what);
                assertSame(
                    VocabularyReductions.predict(logits, banned, unsure, someWanted),
                    p.predict(tokens, mask, from, to, 0, banned, unsure, someWanted),
                    what + " (some positions)");
                // reduced a few pairs at a time: the same answers
                p.reductionChunkValues = 3L * vocab;
                try {
                  assertSame(
                      VocabularyReductions.predict(logits, banned, unsure, null),
                      p.predict(tokens, mask, from, to, 0, banned, unsure, null),
                      what + " (in chunks of 3)");
                } finally {
                  p.reductionChunkValues = 16L << 20;
                }
              }
              // guidance: the rows stacked with copies whose first column is masked
              int[][] both = new int[2 * rows][];
              boolean[][] bothMask = mask == null ? null : new boolean[2 * rows][];
              for (int r = 0; r < rows; r++) {
                both[r] = tokens[r];
                both[rows + r] = tokens[r].clone();
                both[rows + r][t - 1] = c.maskTokenId();
                if (mask != null) {
                  bothMask[r] = mask[r];
                  bothMask[rows + r] = mask[r];
                }
              }
              double w = 0.5 + random.nextInt(3);
              try (Logits stacked = p.logits(both, bothMask, from, to);
                  Logits guided = VocabularyReductions.guide(stacked, w)) {
                assertSame(
                    VocabularyReductions.predict(guided, banned, unsure, someWanted),
                    p.predict(both, bothMask, from, to, w, banned, unsure, someWanted),
                    what + " cfg " + w);
              }
            }
          }
        }
      }
    }
  }

  private static void assertSame(Predictions java, Predictions device, String what) {
    assertEquals(java.rows(), device.rows(), what);
    assertEquals(java.positions(), device.positions(), what);
    for (int i = 0; i < java.tokens().length; i++) {
      assertEquals(java.tokens()[i], device.tokens()[i], what + " x0 at " + i);
      double a = java.confidences()[i];
      double b = device.confidences()[i];
      assertTrue(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)), what + ": " + a + " vs " + b);
    }
  }
}
