package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One sampling step's vocabulary work at LLaDA-8B's vocabulary (V = 126,464): the logits copied to
 * Java and reduced there (the sampler's path before) against the reduction on the device ({@link
 * DjlMaskPredictor#predict}), on the same forward, paired rounds in one run. The model is a tiny
 * one with that vocabulary, so the LM head and the reduction dominate. Not run by {@code mvn
 * verify}:
 *
 * <pre>
 * mvn -pl llada-core test -Dtest=VocabularyReductionsBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class VocabularyReductionsBenchmark {

  @Test
  void deviceReductionAgainstTheJavaOne() throws Exception {
    Path dir = Files.createTempDirectory("vocab-bench");
    int vocab = 126_464;
    LladaConfig c = TinyModels.config(64, 4, 4, 1, 96, vocab);
    TinyModels.write(dir, c, 1, DType.F32, 0);
    Random random = new Random(1);
    int[] eos = {vocab - 2};
    int[] eosEot = {vocab - 2, vocab - 3};
    try (DjlMaskPredictor p = DjlMaskPredictor.load(dir, "cpu")) {
      for (int positions : new int[] {32, 128}) {
        int length = 2 * positions;
        int[][] tokens = new int[1][length];
        for (int i = 0; i < length; i++) {
          tokens[0][i] = random.nextInt(vocab - 4);
        }
        int from = length - positions;
        int rounds = 12;
        double[] java = new double[rounds];
        double[] device = new double[rounds];
        double[] forward = new double[rounds];
        for (int round = -3; round < rounds; round++) { // 3 warm-up rounds
          long t0 = System.nanoTime();
          try (Logits l = p.logits(tokens, null, from, length)) {
            l.get(0); // the forward alone, its logits left where they are
          }
          long t1 = System.nanoTime();
          Predictions a;
          try (Logits l = p.logits(tokens, null, from, length)) {
            a = VocabularyReductions.predict(l, eos, eosEot, null);
          }
          long t2 = System.nanoTime();
          Predictions b = p.predict(tokens, null, from, length, 0, eos, eosEot, null);
          long t3 = System.nanoTime();
          if (!Arrays.equals(a.tokens(), b.tokens())) {
            throw new AssertionError("the two paths disagree");
          }
          if (round >= 0) {
            forward[round] = (t1 - t0) / 1e6;
            java[round] = (t2 - t1) / 1e6;
            device[round] = (t3 - t2) / 1e6;
          }
        }
        System.out.printf(
            "[vocab] V=%d positions=%d: forward only %.1f ms, logits to Java + Java reduction"
                + " %.1f ms, device reduction %.1f ms (median of %d); %.2fx%n",
            vocab,
            positions,
            median(forward),
            median(java),
            median(device),
            rounds,
            median(java) / median(device));
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return (s[s.length / 2] + s[(s.length - 1) / 2]) / 2;
  }
}
