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
 * @param cancelled polled before each Monte Carlo batch; true stops the estimate with {@link
 *     GenerationCancelledException} (its count: the batches that ran)
 */
public record LikelihoodJob(
    ModelRef model,
    int[] contextIds,
    int[] continuationIds,
    int mcNum,
    int batchSize,
    double cfgScale,
    long seed,
    java.util.function.BooleanSupplier cancelled) {

  /** A job nobody cancels. */
  public LikelihoodJob(
      ModelRef model,
      int[] contextIds,
      int[] continuationIds,
      int mcNum,
      int batchSize,
      double cfgScale,
      long seed) {
    this(model, contextIds, continuationIds, mcNum, batchSize, cfgScale, seed, () -> false);
  }

  /** The same job, also stopped when {@code more} says so. */
  public LikelihoodJob cancelledWhen(java.util.function.BooleanSupplier more) {
    java.util.function.BooleanSupplier mine = cancelled;
    return new LikelihoodJob(
        model,
        contextIds,
        continuationIds,
        mcNum,
        batchSize,
        cfgScale,
        seed,
        () -> mine.getAsBoolean() || more.getAsBoolean());
  }

  public LikelihoodJob {
    Objects.requireNonNull(model, "model");
    cancelled = cancelled == null ? () -> false : cancelled;
    if (contextIds.length == 0 || continuationIds.length == 0) {
      throw new IllegalArgumentException("context and continuation must both have tokens");
    }
  }
}
