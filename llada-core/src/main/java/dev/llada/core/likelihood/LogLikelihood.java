package dev.llada.core.likelihood;

import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.ClassifierFreeGuidance;
import java.util.random.RandomGenerator;

/**
 * {@code get_log_likelihood(model, prompt, answer, mc_num, batch_size, cfg_scale)} (llada-spec §3).
 *
 * <p>Each batch row masks exactly {@code l} of the {@code L} answer tokens (the prompt never) and
 * scores {@code (L/l) Σ_masked −log p(true token)}; the mask counts of a batch are stratified:
 * evenly spaced with stride {@code L/b} from a random start, wrapped into {@code [1, L]}. The
 * estimate is minus the mean of the batch losses. With {@code cfgScale > 0} the logits are guided
 * as in sampling, the unconditional rows having every prompt column masked.
 */
public final class LogLikelihood {

  private final MaskPredictor model;
  private final int maskId;

  public LogLikelihood(MaskPredictor model) {
    this.model = model;
    this.maskId = model.config().maskTokenId();
  }

  public LikelihoodEstimate estimate(
      int[] prompt,
      int[] answer,
      int mcNum,
      int batchSize,
      double cfgScale,
      RandomGenerator random) {
    if (answer.length == 0) {
      throw new IllegalArgumentException("the continuation is empty");
    }
    if (batchSize < 1 || mcNum < 1 || mcNum % batchSize != 0) {
      throw new IllegalArgumentException(
          "mc_num (" + mcNum + ") must be a positive multiple of batch_size (" + batchSize + ")");
    }
    if (!(cfgScale >= 0) || Double.isInfinite(cfgScale)) {
      throw new IllegalArgumentException("cfg_scale must be finite and >= 0, got " + cfgScale);
    }
    int lp = prompt.length;
    int la = answer.length;
    if (lp + la > model.config().maxSequenceLength()) {
      throw new IllegalArgumentException(
          "context + continuation ("
              + (lp + la)
              + " tokens) exceed max_sequence_length "
              + model.config().maxSequenceLength());
    }
    for (int t : answer) {
      if (t == maskId) {
        throw new IllegalArgumentException("the continuation contains the mask token " + maskId);
      }
    }
    int iterations = mcNum / batchSize;
    double[] losses = new double[iterations];
    for (int it = 0; it < iterations; it++) {
      int[] counts = stratifiedCounts(la, batchSize, random);
      int[][] noisy = new int[batchSize][lp + la];
      for (int r = 0; r < batchSize; r++) {
        System.arraycopy(prompt, 0, noisy[r], 0, lp);
        System.arraycopy(answer, 0, noisy[r], lp, la);
        int[] order = permutation(la, random);
        for (int j = 0; j < counts[r]; j++) {
          noisy[r][lp + order[j]] = maskId;
        }
      }
      double batchLoss = 0;
      try (Logits logits = forward(noisy, lp, cfgScale)) {
        float[] row = new float[logits.vocab()];
        for (int r = 0; r < batchSize; r++) {
          double rowLoss = 0;
          for (int j = 0; j < la; j++) {
            if (noisy[r][lp + j] == maskId) {
              logits.read(logits.offset(r, j), row, 0, row.length);
              rowLoss -= logSoftmaxAt(row, answer[j]);
            }
          }
          batchLoss += rowLoss / (counts[r] / (double) la); // ÷ p_mask = l / L
        }
      }
      losses[it] = batchLoss / batchSize;
    }
    double mean = 0;
    for (double l : losses) {
      mean += l;
    }
    mean /= iterations;
    double se = Double.NaN;
    if (iterations > 1) {
      double ss = 0;
      for (double l : losses) {
        ss += (l - mean) * (l - mean);
      }
      se = Math.sqrt(ss / (iterations - 1) / iterations);
    }
    return new LikelihoodEstimate(-mean, se, mcNum, iterations);
  }

  /**
   * {@code round(linspace(k, k + (b−1)·L/b, b))}, wrapped to {@code [1, L]}, with k uniform in
   * {@code 1..L}; rounding is half-to-even as torch's.
   */
  static int[] stratifiedCounts(int length, int batch, RandomGenerator random) {
    return stratifiedCounts(length, batch, 1 + random.nextInt(length));
  }

  static int[] stratifiedCounts(int length, int batch, int k) {
    int[] counts = new int[batch];
    for (int i = 0; i < batch; i++) {
      int c = (int) Math.rint(k + i * (double) length / batch); // linspace step L/b
      counts[i] = Math.floorMod(c - 1, length) + 1;
    }
    return counts;
  }

  private Logits forward(int[][] noisy, int promptLength, double cfgScale) {
    int rows = noisy.length;
    int length = noisy[0].length;
    if (cfgScale <= 0) {
      return model.logits(noisy, null, promptLength, length);
    }
    int[][] both = new int[2 * rows][];
    for (int r = 0; r < rows; r++) {
      both[r] = noisy[r];
      both[rows + r] = noisy[r].clone();
      java.util.Arrays.fill(both[rows + r], 0, promptLength, maskId);
    }
    try (Logits stacked = model.logits(both, null, promptLength, length)) {
      return ClassifierFreeGuidance.combine(stacked, cfgScale);
    }
  }

  /** log softmax(row)[token], in float64. */
  private static double logSoftmaxAt(float[] row, int token) {
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

  private static int[] permutation(int n, RandomGenerator random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
