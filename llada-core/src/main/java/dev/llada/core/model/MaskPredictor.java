package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;

/**
 * One denoising pass of the mask predictor p_θ(x_0 | x_t): a token canvas in, logits out for the
 * positions asked for. Attention is bidirectional; an attention mask excludes padding keys.
 */
public interface MaskPredictor extends AutoCloseable {

  /** The architecture and special ids of the model behind this predictor. */
  LladaConfig config();

  /**
   * Logits of positions {@code [from, to)} of every row. The caller closes them when done: they may
   * view the model's native memory ({@link Logits}).
   *
   * @param tokens {@code B × T} ids, all rows the same length (left-padded)
   * @param attentionMask {@code B × T}, false on padding; null when no row is padded
   * @param from first position wanted
   * @param to one past the last position wanted
   */
  Logits logits(int[][] tokens, boolean[][] attentionMask, int from, int to);

  @Override
  default void close() {}
}
