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

  /**
   * Logits of positions {@code [from, to)} of a forward that uses a KV cache ({@code step}; null:
   * none, as {@link #logits(int[][], boolean[][], int, int)}). A {@link CacheStep.Reuse} computes
   * only its positions: {@code [from, to)} must lie within them.
   *
   * @throws UnsupportedOperationException where {@link #caches()} is false and a step is given
   */
  default Logits logits(
      int[][] tokens, boolean[][] attentionMask, int from, int to, CacheStep step) {
    if (step != null) {
      throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no KV cache");
    }
    return logits(tokens, attentionMask, from, to);
  }

  /** Whether this predictor runs forwards against a {@link KvCache}. */
  default boolean caches() {
    return false;
  }

  /** An empty cache for this predictor's forwards. */
  default KvCache newCache() {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no KV cache");
  }

  /**
   * Whether {@link #predict} should do a step's vocabulary work here rather than the caller on
   * {@link #logits}, for {@code elements} = rows × positions × vocabulary: where the logits live on
   * another device, or are too many to copy to Java.
   */
  default boolean reducesOnDevice(long elements) {
    return false;
  }

  /**
   * A sampling step's vocabulary work for positions {@code [from, to)} ({@link
   * VocabularyReductions#predict}): x0 with the {@code banned} ids at −∞, its confidence with the
   * {@code unconfident} ids at −∞ too, for the {@code wanted} (row, position) pairs (null: all).
   * With {@code cfgScale > 0} the rows are stacked (conditional, then unconditional) and guided
   * first, and the result (and {@code wanted}) has half as many rows. This default reduces the
   * logits in Java; an implementation may do it where the logits are.
   */
  default Predictions predict(
      int[][] tokens,
      boolean[][] attentionMask,
      int from,
      int to,
      double cfgScale,
      int[] banned,
      int[] unconfident,
      boolean[][] wanted) {
    return predict(tokens, attentionMask, from, to, cfgScale, banned, unconfident, wanted, null);
  }

  /**
   * {@link #predict(int[][], boolean[][], int, int, double, int[], int[], boolean[][])} on a
   * forward that uses a KV cache ({@code step}, or null).
   */
  default Predictions predict(
      int[][] tokens,
      boolean[][] attentionMask,
      int from,
      int to,
      double cfgScale,
      int[] banned,
      int[] unconfident,
      boolean[][] wanted,
      CacheStep step) {
    try (Logits raw = logits(tokens, attentionMask, from, to, step)) {
      if (cfgScale <= 0) {
        return VocabularyReductions.predict(raw, banned, unconfident, wanted);
      }
      try (Logits guided = VocabularyReductions.guide(raw, cfgScale)) {
        return VocabularyReductions.predict(guided, banned, unconfident, wanted);
      }
    }
  }

  @Override
  default void close() {}
}
