package dev.llada.core.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The forward process and loss weights of LLaDA training (llada-spec §5): per row t ~ U[0, 1), mask
 * ratio p = (1 − ε)·t + ε, each maskable token masked independently with probability p; the loss is
 * Σ over masked tokens of CE / p, normalised by B·L for pre-training and by B·(answer length) for
 * SFT. For pre-training, 1 % of the batches are cut to a random length in 1..L.
 */
final class MaskedDiffusionLoss {

  static final double EPSILON = 1e-3;

  /** Noised tokens, the clean targets, and the weight of each position's CE (0 if unmasked). */
  record Noised(int[][] noisy, int[][] targets, float[][] weights, int maskedCount) {}

  private MaskedDiffusionLoss() {}

  static Noised noise(
      TrainingData.Batch batch, Recipe.Objective objective, int maskId, SplittableRandom r) {
    int rows = batch.tokens().length;
    int length = batch.tokens()[0].length;
    if (objective == Recipe.Objective.PRETRAIN && r.nextDouble() < 0.01) {
      length = 1 + r.nextInt(length); // random-length batch
    }
    int[][] noisy = new int[rows][];
    int[][] targets = new int[rows][];
    float[][] weights = new float[rows][length];
    int masked = 0;
    for (int row = 0; row < rows; row++) {
      targets[row] = Arrays.copyOf(batch.tokens()[row], length);
      noisy[row] = targets[row].clone();
      double p = (1 - EPSILON) * r.nextDouble() + EPSILON;
      double norm =
          objective == Recipe.Objective.SFT
              ? (double) rows * batch.answerLength()[row]
              : (double) rows * length;
      for (int i = 0; i < length; i++) {
        if (batch.maskable()[row][i] && r.nextDouble() < p) {
          noisy[row][i] = maskId;
          weights[row][i] = (float) (1.0 / (p * norm));
          masked++;
        }
      }
    }
    return new Noised(noisy, targets, weights, masked);
  }
}
