package dev.llada.vrpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * One forward batch holding every masked sample of several responses to the same prompt: row =
 * prompt ++ the response with its sample's positions masked, EOS-padded to the longest response.
 * The padding is excluded twice over: its keys are hidden by the attention bias (so no row sees
 * another length's padding) and its weight is 0 (llada-spec §6.4: padded EOS excluded).
 */
final class ElboRows {

  final long[] noisy;
  final long[] targets;
  final float[] weights;
  final float[] bias;
  final boolean padded;
  final int rows;
  final int length;
  final int from;
  final int[] firstRow;

  /**
   * @param responses the responses, each with its masks
   */
  ElboRows(int[] prompt, int[][] responses, ResponseMasks[] masks, int maskId, int padId) {
    int p = prompt.length;
    int longest = 0;
    int total = 0;
    firstRow = new int[responses.length + 1];
    for (int y = 0; y < responses.length; y++) {
      if (masks[y].length() != responses[y].length) {
        throw new IllegalArgumentException("masks drawn for another length");
      }
      longest = Math.max(longest, responses[y].length);
      firstRow[y] = total;
      total += masks[y].samples();
    }
    firstRow[responses.length] = total;
    rows = total;
    length = p + longest;
    from = p;
    noisy = new long[rows * length];
    targets = new long[rows * longest];
    weights = new float[rows * longest];
    bias = new float[rows * length];
    boolean anyPadding = false;
    for (int y = 0; y < responses.length; y++) {
      int[] response = responses[y];
      for (int s = 0; s < masks[y].samples(); s++) {
        int row = firstRow[y] + s;
        for (int i = 0; i < p; i++) {
          noisy[row * length + i] = prompt[i];
        }
        float w = (float) masks[y].weight(s);
        for (int i = 0; i < longest; i++) {
          boolean real = i < response.length;
          int token = real ? response[i] : padId;
          boolean masked = real && masks[y].masked()[s][i];
          noisy[row * length + p + i] = masked ? maskId : token;
          targets[row * longest + i] = token;
          weights[row * longest + i] = masked ? w : 0f;
          if (!real) {
            bias[row * length + p + i] = -Float.MAX_VALUE;
            anyPadding = true;
          }
        }
      }
    }
    padded = anyPadding;
  }

  /** ℓ of every row, (rows,): Σ over its masked response positions of (L/l)·log p(y_i | y_t, x). */
  NDArray elbos(TokenScorer scorer, NDManager m) {
    int width = length - from;
    NDArray ids = m.create(noisy, new Shape(rows, length));
    NDArray clean = m.create(targets, new Shape(rows, width));
    NDArray w = m.create(weights, new Shape(rows, width));
    NDArray b = padded ? m.create(bias, new Shape(rows, 1, 1, length)) : null;
    return scorer.logProbabilities(ids, clean, b, from).mul(w).sum(new int[] {1});
  }

  /** The mean ℓ of response {@code y}'s rows: its ELBO estimate B̂ (a scalar). */
  NDArray mean(NDArray elbos, int y) {
    return elbos.get(firstRow[y] + ":" + firstRow[y + 1]).mean();
  }
}
