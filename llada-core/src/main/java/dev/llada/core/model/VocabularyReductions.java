package dev.llada.core.model;

import java.util.random.RandomGenerator;

/**
 * The vocabulary work of sampling and likelihood, on logits in Java: the slow, obvious path that
 * {@link MaskPredictor}'s defaults run and that the device path of {@link DjlMaskPredictor} is
 * checked against. Every sum is in float64 (as {@code app.py}); ties keep the lowest id (as {@code
 * torch.argmax}).
 */
public final class VocabularyReductions {

  private VocabularyReductions() {}

  /**
   * x0 = argmax of the logits with the {@code banned} ids at −∞ ({@code logits_eos_inf}); its
   * confidence = softmax at x0 with the {@code unconfident} ids also at −∞ ({@code
   * confidence_eos_eot_inf}); 0 when x0 itself is at −∞ then. Only the {@code wanted} (row,
   * position) pairs are computed (null: all); the others read x0 = −1, confidence 0.
   */
  public static Predictions predict(
      Logits logits, int[] banned, int[] unconfident, boolean[][] wanted) {
    int rows = logits.rows();
    int positions = logits.positions();
    int vocab = logits.vocab();
    int[] tokens = new int[rows * positions];
    double[] confidences = new double[rows * positions];
    float[] row = new float[vocab];
    double[] l = new double[vocab];
    java.util.Arrays.fill(tokens, -1);
    if (wanted != null) {
      for (boolean[] w : wanted) {
        if (wanted.length != rows || w.length != positions) {
          throw new IllegalArgumentException("wanted must be " + rows + "x" + positions);
        }
      }
    }
    for (int i = 0; i < rows * positions; i++) {
      if (wanted != null && !wanted[i / positions][i % positions]) {
        continue;
      }
      logits.read(i * vocab, row, 0, vocab);
      for (int v = 0; v < vocab; v++) {
        l[v] = row[v];
      }
      for (int id : banned) {
        l[id] = Double.NEGATIVE_INFINITY;
      }
      int x0 = argmax(l);
      for (int id : unconfident) {
        l[id] = Double.NEGATIVE_INFINITY;
      }
      tokens[i] = x0;
      confidences[i] = softmaxAt(l, x0);
    }
    return new Predictions(rows, positions, tokens, confidences);
  }

  /**
   * Unsupervised classifier-free guidance (llada-spec §2.6, paper Eq. 16) on stacked rows
   * (conditional first, then their unconditional copies): uncond + (w + 1)·(cond − uncond), in
   * float32, on the heap; {@code stacked} stays the caller's to close.
   */
  public static Logits guide(Logits stacked, double cfgScale) {
    if (stacked.rows() % 2 != 0) {
      throw new IllegalArgumentException("guidance needs conditional and unconditional rows");
    }
    int rows = stacked.rows() / 2;
    int vocab = stacked.vocab();
    int half = rows * stacked.positions() * vocab;
    float[] guided = new float[half];
    float[] uncond = new float[vocab];
    float w = (float) cfgScale;
    for (int j = 0; j < half; j += vocab) { // one (row, position) at a time
      stacked.read(j, guided, j, vocab);
      stacked.read(half + j, uncond, 0, vocab);
      for (int v = 0; v < vocab; v++) {
        guided[j + v] = uncond[v] + (w + 1) * (guided[j + v] - uncond[v]);
      }
    }
    return new Logits(rows, stacked.positions(), stacked.vocab(), guided);
  }

  /** log softmax(row)[token], in float64 (the likelihood's cross-entropy, llada-spec §3). */
  public static double logSoftmaxAt(float[] row, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : row) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (float x : row) {
      sum += Math.exp(x - max);
    }
    return row[token] - max - Math.log(sum);
  }

  /** Gumbel-max in float64, log-space form of {@code exp(l) / (−ln u)^T} (§2.4). */
  public static int gumbelArgmax(double[] logits, double temperature, RandomGenerator random) {
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < logits.length; v++) {
      double u = random.nextDouble();
      double score = logits[v] - temperature * Math.log(-Math.log(u)); // u = 0 gives −∞
      if (score > bestScore) {
        bestScore = score;
        best = v;
      }
    }
    return best;
  }

  /** The first index of the largest value. */
  public static int argmax(double[] values) {
    int best = 0;
    for (int v = 1; v < values.length; v++) {
      if (values[v] > values[best]) {
        best = v;
      }
    }
    return best;
  }

  /** softmax(values)[index], stable; 0 when the value itself is −∞. */
  public static double softmaxAt(double[] values, int index) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      max = Math.max(max, v);
    }
    if (max == Double.NEGATIVE_INFINITY || values[index] == Double.NEGATIVE_INFINITY) {
      return 0;
    }
    double sum = 0;
    for (double v : values) {
      sum += Math.exp(v - max);
    }
    return Math.exp(values[index] - max) / sum;
  }
}
