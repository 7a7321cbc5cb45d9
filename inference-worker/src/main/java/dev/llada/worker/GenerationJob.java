package dev.llada.worker;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepEvent;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * One generation request for one prompt.
 *
 * @param model what to run
 * @param promptIds the prompt's token ids (from {@link WorkerPool#encode})
 * @param config the sampler knobs (llada-spec §2.1)
 * @param seed seeds Gumbel noise and random remasking; equal seeds give equal outputs
 * @param listener receives every denoising step on the inference thread; keep it quick
 * @param cancelled polled before each step; true stops the generation with {@link
 *     GenerationCancelledException}
 * @param acceleration the fast sampler's switches, null for the reference sampler
 */
public record GenerationJob(
    ModelRef model,
    int[] promptIds,
    SamplingConfig config,
    long seed,
    StepEvent.Listener listener,
    BooleanSupplier cancelled,
    Acceleration acceleration) {

  /** A job for the reference sampler. */
  public GenerationJob(
      ModelRef model,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      StepEvent.Listener listener,
      BooleanSupplier cancelled) {
    this(model, promptIds, config, seed, listener, cancelled, null);
  }

  public GenerationJob {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(config, "config");
    listener = listener == null ? StepEvent.Listener.NONE : listener;
    cancelled = cancelled == null ? () -> false : cancelled;
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt is empty");
    }
  }
}
