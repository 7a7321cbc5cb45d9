package dev.llada.core.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The forward process and loss weights of LLaDA training (llada-spec §5): per row t ~ U[0, 1), mask
 * ratio p = (1 − ε)·t + ε, each maskable token masked independently with probability p; the loss is
 * Σ over masked tokens of CE / p, normalised by B·L for pre-training and by B·(answer length) for
 * SFT. For pre-training, 1 % of the batches are cut to a random length in 1..L.
 *
 * <p>A recipe may weigh an SFT row's EOS padding (after the answer and its terminator) by {@code
 * eos_pad_weight} &lt; 1, the answer length becoming the weighted count: on canvases that are
 * mostly padding (256–1,024 slots for answers of a few tokens) the answer's own tokens otherwise
 * carry a few percent of the loss. With 1 (the default) the loss is LLaDA's exactly.
 */
final class MaskedDiffusionLoss {

  static final double EPSILON = 1e-3;

  /** Noised tokens, the clean targets, and the weight of each position's CE (0 if unmasked). */
  record Noised(int[][] noisy, int[][] targets, float[][] weights, int maskedCount) {}

  private MaskedDiffusionLoss() {}

  static Noised noise(
      TrainingData.Batch batch, Recipe.Objective objective, int maskId, SplittableRandom r) {
    return noise(batch, objective, maskId, r, 1.0);
  }

  static Noised noise(
      TrainingData.Batch batch,
      Recipe.Objective objective,
      int maskId,
      SplittableRandom r,
      double padWeight) {
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
      boolean sft = objective == Recipe.Objective.SFT;
      int pad = Math.max(0, length - batch.paddingFrom()[row]);
      double answer =
          padWeight == 1.0
              ? batch.answerLength()[row]
              : batch.answerLength()[row] - pad + padWeight * pad;
      double norm = sft ? rows * answer : (double) rows * length;
      for (int i = 0; i < length; i++) {
        if (batch.maskable()[row][i] && r.nextDouble() < p) {
          noisy[row][i] = maskId;
          double w = sft && i >= batch.paddingFrom()[row] ? padWeight : 1.0;
          weights[row][i] = (float) (w / (p * norm));
          masked++;
        }
      }
    }
    return new Noised(noisy, targets, weights, masked);
  }
}
