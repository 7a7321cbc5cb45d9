package dev.llada.core.sampling;

import java.util.random.RandomGenerator;

/**
 * Denoises a batch of left-padded prompts into generations: the reference sampler (generate.py's
 * exact loop) or a fast one; both emit one {@link StepEvent} per forward.
 */
public interface Sampler {

  /**
   * @param prompt {@code B × Lp} ids, left-padded to a common length
   * @param attentionMask {@code B × Lp}, false on padding; null when no row is padded
   * @param config the sampler knobs
   * @param random source of Gumbel noise and random remasking scores
   * @param listener receives one event per forward
   */
  Generation generate(
      int[][] prompt,
      boolean[][] attentionMask,
      SamplingConfig config,
      RandomGenerator random,
      StepEvent.Listener listener);
}
