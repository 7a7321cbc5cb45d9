package dev.llada.core.likelihood;

import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.VocabularyReductions;
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

  /** The logits one forward may hold by default: 256 MiB (about 530 positions at V = 126,464). */
  public static final long DEFAULT_MAX_LOGITS_BYTES = 256L << 20;

  private final long maxLogitsBytes;

  public LogLikelihood(MaskPredictor model) {
    this(model, DEFAULT_MAX_LOGITS_BYTES);
  }

  /** As {@link #LogLikelihood(MaskPredictor)}, with at most {@code maxLogitsBytes} per forward. */
  public LogLikelihood(MaskPredictor model, long maxLogitsBytes) {
    if (maxLogitsBytes < 1) {
      throw new IllegalArgumentException("maxLogitsBytes must be positive");
    }
    this.model = model;
    this.maskId = model.config().maskTokenId();
    this.maxLogitsBytes = maxLogitsBytes;
  }

  public LikelihoodEstimate estimate(
      int[] prompt,
      int[] answer,
      int mcNum,
      int batchSize,
      double cfgScale,
      RandomGenerator random) {
    return estimate(prompt, answer, mcNum, batchSize, cfgScale, random, () -> false);
  }

  /**
   * As {@link #estimate(int[], int[], int, int, double, RandomGenerator)}, asking {@code stop}
   * before each Monte Carlo batch: true ends the estimate with {@link EstimationStoppedException}.
   */
  public LikelihoodEstimate estimate(
      int[] prompt,
      int[] answer,
      int mcNum,
      int batchSize,
      double cfgScale,
      RandomGenerator random,
      java.util.function.BooleanSupplier stop) {
    Stepwise estimate = start(prompt, answer, mcNum, batchSize, cfgScale, random);
    while (!estimate.done()) {
      if (stop.getAsBoolean()) {
        throw new EstimationStoppedException(estimate.batchesRun());
      }
      estimate.step();
    }
    return estimate.result();
  }

  /**
   * The estimate one Monte Carlo batch at a time (the same draws, in the same order, as {@link
   * #estimate}): what a scheduler interleaves with other work. Checks the inputs at once.
   */
  public Stepwise start(
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
    if (prompt.length + answer.length > model.config().maxSequenceLength()) {
      throw new IllegalArgumentException(
          "context + continuation ("
              + (prompt.length + answer.length)
              + " tokens) exceed max_sequence_length "
              + model.config().maxSequenceLength());
    }
    for (int t : answer) {
      if (t == maskId) {
        throw new IllegalArgumentException("the continuation contains the mask token " + maskId);
      }
    }
    return new Stepwise(prompt, answer, mcNum, batchSize, cfgScale, random);
  }

  /** An estimate in progress: {@link #step} scores one Monte Carlo batch. */
  public final class Stepwise {
    private final int[] prompt;
    private final int[] answer;
    private final int mcNum;
    private final int batchSize;
    private final double cfgScale;
    private final RandomGenerator random;
    private final double[] losses;
    private int it;

    private Stepwise(
        int[] prompt,
        int[] answer,
        int mcNum,
        int batchSize,
        double cfgScale,
        RandomGenerator random) {
      this.prompt = prompt;
      this.answer = answer;
      this.mcNum = mcNum;
      this.batchSize = batchSize;
      this.cfgScale = cfgScale;
      this.random = random;
      this.losses = new double[mcNum / batchSize];
    }

    public boolean done() {
      return it == losses.length;
    }

    /** Monte Carlo batches scored so far. */
    public int batchesRun() {
      return it;
    }

    /** Draws the next batch's masks and scores them (its forwards). */
    public void step() {
      if (done()) {
        throw new IllegalStateException("the estimate is complete");
      }
      int lp = prompt.length;
      int la = answer.length;
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
      double[] rowLoss = scoreMasked(noisy, answer, lp, cfgScale);
      for (int r = 0; r < batchSize; r++) {
        batchLoss += rowLoss[r] / (counts[r] / (double) la); // ÷ p_mask = l / L
      }
      losses[it++] = batchLoss / batchSize;
    }

    /** The estimate, once {@link #done()}. */
    public LikelihoodEstimate result() {
      if (!done()) {
        throw new IllegalStateException("the estimate is not complete");
      }
      int iterations = losses.length;
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

  /**
   * Σ −log p(true token) over the masked answer positions of each row, in chunks whose logits stay
   * within {@link #maxLogitsBytes}: as many rows per forward as fit, and for a row whose logits
   * alone do not fit, windows of answer positions (the forward computes the LM head only for the
   * window). The same sums as one forward over the batch, in bounded memory whatever the batch
   * size, the continuation's length and the vocabulary.
   */
  private double[] scoreMasked(int[][] noisy, int[] answer, int lp, double cfgScale) {
    int rows = noisy.length;
    int la = answer.length;
    long perPosition = (long) model.config().embeddingSize() * Float.BYTES * (cfgScale > 0 ? 2 : 1);
    int rowsPerForward = (int) Math.max(1, Math.min(rows, maxLogitsBytes / (perPosition * la)));
    int window = (int) Math.max(1, Math.min(la, maxLogitsBytes / (perPosition * rowsPerForward)));
    double[] loss = new double[rows];
    for (int r0 = 0; r0 < rows; r0 += rowsPerForward) {
      int r1 = Math.min(rows, r0 + rowsPerForward);
      int[][] chunk = java.util.Arrays.copyOfRange(noisy, r0, r1);
      for (int j0 = 0; j0 < la; j0 += window) {
        int j1 = Math.min(la, j0 + window);
        if (!anyMasked(chunk, lp + j0, lp + j1)) {
          continue;
        }
        try (Logits logits = forward(chunk, lp, lp + j0, lp + j1, cfgScale)) {
          float[] row = new float[logits.vocab()];
          for (int r = 0; r < chunk.length; r++) {
            for (int j = j0; j < j1; j++) {
              if (chunk[r][lp + j] == maskId) {
                logits.read(logits.offset(r, j - j0), row, 0, row.length);
                loss[r0 + r] -= VocabularyReductions.logSoftmaxAt(row, answer[j]);
              }
            }
          }
        }
      }
    }
    return loss;
  }

  private boolean anyMasked(int[][] rows, int from, int to) {
    for (int[] row : rows) {
      for (int i = from; i < to; i++) {
        if (row[i] == maskId) {
          return true;
        }
      }
    }
    return false;
  }

  /** Logits of positions {@code [from, to)}, guided as in sampling when {@code cfgScale > 0}. */
  private Logits forward(int[][] noisy, int promptLength, int from, int to, double cfgScale) {
    int rows = noisy.length;
    if (cfgScale <= 0) {
      return model.logits(noisy, null, from, to);
    }
    int[][] both = new int[2 * rows][];
    for (int r = 0; r < rows; r++) {
      both[r] = noisy[r];
      both[rows + r] = noisy[r].clone();
      java.util.Arrays.fill(both[rows + r], 0, promptLength, maskId);
    }
    try (Logits stacked = model.logits(both, null, from, to)) {
      return VocabularyReductions.guide(stacked, cfgScale);
    }
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
