package dev.llada.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** LLaDA's SFT loss weights, and the recipe's lighter weight for EOS padding. */
class MaskedDiffusionLossTest {

  /** One row: 2 prompt tokens, a 3-token answer + terminator, 10 padding EOS. */
  private static TrainingData.Batch batch() {
    int length = 16;
    int[][] tokens = {new int[length]};
    boolean[][] maskable = {new boolean[length]};
    for (int i = 2; i < length; i++) {
      maskable[0][i] = true;
      tokens[0][i] = i < 6 ? 10 + i : 1;
    }
    return new TrainingData.Batch("t", tokens, maskable, new int[] {14}, new int[] {6});
  }

  @Test
  void withWeightOneTheLossIsLladasAndLighterPaddingReweighsTheAnswer() {
    for (long seed = 0; seed < 20; seed++) {
      var plain =
          MaskedDiffusionLoss.noise(batch(), Recipe.Objective.SFT, 99, new SplittableRandom(seed));
      var light =
          MaskedDiffusionLoss.noise(
              batch(), Recipe.Objective.SFT, 99, new SplittableRandom(seed), 0.1);
      float answerPlain = 0;
      float answerLight = 0;
      for (int i = 0; i < 16; i++) {
        assertEquals(plain.noisy()[0][i], light.noisy()[0][i], "the same masks");
        if (plain.weights()[0][i] > 0) {
          if (i < 6) {
            answerPlain = plain.weights()[0][i];
            answerLight = light.weights()[0][i];
          } else if (answerLight > 0) {
            // padding weighs 0.1 of an answer token of the same row
            assertEquals(0.1 * answerLight, light.weights()[0][i], 1e-6 * answerLight);
            assertEquals(answerPlain, plain.weights()[0][i], 1e-9, "LLaDA: all alike");
          }
        }
      }
      if (answerPlain > 0) {
        // norm: 14 positions plain, 4 + 0.1 x 10 = 5 weighted
        assertEquals(14.0 / 5.0, answerLight / answerPlain, 1e-5);
        assertTrue(answerLight > answerPlain);
      }
    }
  }
}
