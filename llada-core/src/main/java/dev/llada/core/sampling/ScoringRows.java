package dev.llada.core.sampling;

/**
 * A likelihood request's work for one forward, as the {@link StepBatcher} mixes it with denoising
 * steps (ARCHITECTURE "The step API covers likelihood"): rows of a canvas with some answer
 * positions masked, scored as Σ −log p(true token) over each row's masked positions (llada-spec §3;
 * {@code LogLikelihood} draws the masks and weighs the sums). With guidance each row also runs
 * unconditionally (prompt columns masked) and the logits are guided first.
 */
public final class ScoringRows {

  final int[][] noisy;
  final int[] truth;
  final int promptLength;
  final double cfgScale;
  final int maskId;
  private double[] losses;

  /**
   * @param noisy rows of one length: prompt then answer, some answer positions masked
   * @param truth the clean prompt and answer
   * @param promptLength columns of prompt (never scored; masked in the unconditional rows)
   */
  public ScoringRows(int[][] noisy, int[] truth, int promptLength, double cfgScale, int maskId) {
    if (noisy.length == 0) {
      throw new IllegalArgumentException("no rows to score");
    }
    for (int[] row : noisy) {
      if (row.length != truth.length) {
        throw new IllegalArgumentException("every row must be as long as the clean canvas");
      }
    }
    if (promptLength < 0 || promptLength >= truth.length) {
      throw new IllegalArgumentException("the prompt leaves no answer to score");
    }
    this.noisy = noisy;
    this.truth = truth;
    this.promptLength = promptLength;
    this.cfgScale = cfgScale;
    this.maskId = maskId;
  }

  /** Whether its forward has run. */
  public boolean done() {
    return losses != null;
  }

  /** Σ −log p(true token) over each row's masked positions, once {@link #done()}. */
  public double[] losses() {
    if (losses == null) {
      throw new IllegalStateException("not scored yet");
    }
    return losses.clone();
  }

  int length() {
    return truth.length;
  }

  /** Rows it puts in a forward: each noisy row, and with guidance its unconditional copies. */
  int rows() {
    return noisy.length * (cfgScale > 0 ? 2 : 1);
  }

  int[][] forwardRows() {
    if (cfgScale <= 0) {
      return noisy;
    }
    int[][] both = new int[2 * noisy.length][];
    for (int r = 0; r < noisy.length; r++) {
      both[r] = noisy[r];
      both[noisy.length + r] = noisy[r].clone();
      java.util.Arrays.fill(both[noisy.length + r], 0, promptLength, maskId);
    }
    return both;
  }

  void scored(double[] losses) {
    this.losses = losses;
  }
}
