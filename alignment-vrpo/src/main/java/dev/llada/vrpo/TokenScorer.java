package dev.llada.vrpo;

import ai.djl.ndarray.NDArray;

/**
 * A mask predictor seen as a scorer: log pθ(target | noisy) of every position in a window. The
 * policy's scores carry gradients; the reference's never do.
 */
public interface TokenScorer {

  /**
   * @param noisy (B, T) int64 token ids, some replaced by the mask id
   * @param targets (B, T − from) int64 clean tokens of positions [from, T)
   * @param bias (B, 1, 1, T) additive key-padding bias, or null
   * @return (B, T − from) float32 log-probabilities of the targets
   */
  NDArray logProbabilities(NDArray noisy, NDArray targets, NDArray bias, int from);
}
