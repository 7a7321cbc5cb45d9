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
 * @param tenant whose request it is: the unit of fair sharing ({@code ""}: anonymous)
 * @param weight the tenant's share of the steps (≤ 0: 1)
 * @param images the images a LLaDA-V prompt reads (its ids must be {@code images.prompt().ids()}),
 *     null for a text-only prompt; such a job runs in a batch of its own (its image rows are
 *     spliced in at its own positions), with no classifier-free guidance
 */
public record GenerationJob(
    ModelRef model,
    int[] promptIds,
    SamplingConfig config,
    long seed,
    StepEvent.Listener listener,
    BooleanSupplier cancelled,
    Acceleration acceleration,
    String tenant,
    double weight,
    GenerationImages images) {

  /** A text-only job. */
  public GenerationJob(
      ModelRef model,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      StepEvent.Listener listener,
      BooleanSupplier cancelled,
      Acceleration acceleration,
      String tenant,
      double weight) {
    this(model, promptIds, config, seed, listener, cancelled, acceleration, tenant, weight, null);
  }

  /** A job of no particular tenant. */
  public GenerationJob(
      ModelRef model,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      StepEvent.Listener listener,
      BooleanSupplier cancelled,
      Acceleration acceleration) {
    this(model, promptIds, config, seed, listener, cancelled, acceleration, "", 1);
  }

  /** A job for the reference sampler. */
  public GenerationJob(
      ModelRef model,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      StepEvent.Listener listener,
      BooleanSupplier cancelled) {
    this(model, promptIds, config, seed, listener, cancelled, null, "", 1);
  }

  public GenerationJob {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(promptIds, "promptIds");
    Objects.requireNonNull(config, "config");
    listener = listener == null ? StepEvent.Listener.NONE : listener;
    cancelled = cancelled == null ? () -> false : cancelled;
    tenant = tenant == null ? "" : tenant;
    weight = weight > 0 ? weight : 1;
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt is empty");
    }
    if (images != null) {
      if (!java.util.Arrays.equals(promptIds, images.prompt().ids())) {
        throw new IllegalArgumentException("a job's prompt ids must be its image prompt's");
      }
      if (config.cfgScale() > 0) {
        throw new IllegalArgumentException(
            "classifier-free guidance with images is not supported (docs/adr/0016-llada-v.md)");
      }
    }
  }
}
