package dev.llada.vrpo;

import java.util.SplittableRandom;

/**
 * The masked samples of one response for the lower-variance ELBO (llada-spec §6.1, Eq. 14–15): for
 * each of n_t timesteps a count l ~ U{1..L}, and for each of its n_{y_t} samples exactly l of the L
 * response positions masked, drawn uniformly without replacement; sample s weighs its masked
 * log-probabilities by L/l. The prompt is never masked.
 *
 * @param counts l of each sample
 * @param masked which response positions each sample masks
 */
public record ResponseMasks(int length, int[] counts, boolean[][] masked) {

  /** Draws the samples of a response of {@code length} tokens. */
  public static ResponseMasks draw(int length, ElboBudget budget, SplittableRandom random) {
    if (length < 1) {
      throw new IllegalArgumentException("a response needs at least one token");
    }
    int n = budget.samples();
    int[] counts = new int[n];
    boolean[][] masked = new boolean[n][];
    int[] order = new int[length];
    for (int j = 0; j < budget.nT(); j++) {
      int l = 1 + random.nextInt(length);
      for (int k = 0; k < budget.nYt(); k++) {
        int s = j * budget.nYt() + k;
        counts[s] = l;
        masked[s] = new boolean[length];
        for (int i = 0; i < length; i++) {
          order[i] = i;
        }
        for (int i = 0; i < l; i++) { // the first l of a partial Fisher–Yates shuffle
          int pick = i + random.nextInt(length - i);
          int swap = order[i];
          order[i] = order[pick];
          order[pick] = swap;
          masked[s][order[i]] = true;
        }
      }
    }
    return new ResponseMasks(length, counts, masked);
  }

  public int samples() {
    return counts.length;
  }

  /** The weight L/l of sample {@code s}'s masked positions. */
  public double weight(int s) {
    return (double) length / counts[s];
  }
}
