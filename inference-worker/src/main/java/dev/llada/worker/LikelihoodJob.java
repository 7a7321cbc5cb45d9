package dev.llada.worker;

import java.util.Objects;

/**
 * Conditional log-likelihood of a continuation given a context (llada-spec §3).
 *
 * @param model what to run
 * @param contextIds the prompt ids
 * @param continuationIds the answer ids whose likelihood is estimated
 * @param mcNum Monte Carlo samples
 * @param batchSize samples per forward
 * @param cfgScale classifier-free guidance weight (0 off)
 * @param seed seeds the mask draws
 */
public record LikelihoodJob(
    ModelRef model,
    int[] contextIds,
    int[] continuationIds,
    int mcNum,
    int batchSize,
    double cfgScale,
    long seed) {
  public LikelihoodJob {
    Objects.requireNonNull(model, "model");
    if (contextIds.length == 0 || continuationIds.length == 0) {
      throw new IllegalArgumentException("context and continuation must both have tokens");
    }
  }
}
