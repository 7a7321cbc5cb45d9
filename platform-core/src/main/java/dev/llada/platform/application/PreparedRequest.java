package dev.llada.platform.application;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.worker.GenerationImages;
import dev.llada.worker.ModelRef;

/**
 * A request checked against the model and priced, ready to reserve and run.
 *
 * @param ref the files the worker loads
 * @param promptIds the tokenized prompt
 * @param config the sampler knobs with defaults filled in
 * @param seed the seed the run uses
 * @param computeUnits steps × (prompt + gen_length) × (2 with CFG), known before it runs: the
 *     reservation, an upper bound (a fast sampler runs at most {@code steps} forwards)
 * @param acceleration the fast sampler's switches, null for the reference sampler
 * @param images a LLaDA-V prompt's images ({@code promptIds} holds their positions: they are priced
 *     as prompt tokens), null for a text-only prompt
 */
public record PreparedRequest(
    ModelRef ref,
    int[] promptIds,
    SamplingConfig config,
    long seed,
    long computeUnits,
    Acceleration acceleration,
    GenerationImages images) {

  /** A text-only request. */
  public PreparedRequest(
      ModelRef ref,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      long computeUnits,
      Acceleration acceleration) {
    this(ref, promptIds, config, seed, computeUnits, acceleration, null);
  }

  /** A request for the reference sampler. */
  public PreparedRequest(
      ModelRef ref, int[] promptIds, SamplingConfig config, long seed, long computeUnits) {
    this(ref, promptIds, config, seed, computeUnits, null);
  }

  /** Which sampler runs, as the usage object reports it. */
  public String sampler() {
    return acceleration == null ? "reference" : "fast";
  }

  /** How the cache is refreshed at block boundaries, as the usage reports it ({@code none}). */
  public String refresh() {
    if (acceleration == null || acceleration.cache() == Acceleration.Cache.NONE) {
      return "none";
    }
    return acceleration.incrementalRefresh() ? "incremental" : "whole";
  }

  /**
   * Which KV cache runs ({@code none}, {@code prefix} or {@code dual}), as the usage reports it.
   */
  public String cache() {
    return acceleration == null ? "none" : acceleration.cache().wireName();
  }

  /**
   * The platform's compute unit: one forward pass costs its sequence length, twice with
   * classifier-free guidance (the unconditional copy runs too).
   */
  public static long computeUnits(long forwardPasses, int sequenceLength, double cfgScale) {
    return forwardPasses * sequenceLength * (cfgScale > 0 ? 2 : 1);
  }
}
