package dev.llada.core.sampling;

/**
 * What one denoising step committed, per batch row: the trace used for streaming and for the
 * denoising visualisation.
 *
 * @param step 0-based step over the whole generation
 * @param block 0-based block index
 * @param positions per row, the sequence positions committed at this step
 * @param tokens per row, the ids committed there
 * @param confidences per row, the confidence each was chosen with (softmax probability for
 *     low-confidence remasking, the random score for random remasking)
 * @param queryPositions positions this step's forward computed for one row, doubled with CFG: the
 *     canvas for a full forward, less for a cached one (the billing unit)
 */
public record StepEvent(
    int step,
    int block,
    int[][] positions,
    int[][] tokens,
    double[][] confidences,
    long queryPositions) {

  /** Receives the steps of a generation as they happen. */
  @FunctionalInterface
  public interface Listener {
    void onStep(StepEvent event);

    Listener NONE = e -> {};
  }
}
