package dev.llada.platform.application;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.Remasking;

/**
 * The diffusion knobs of a request as the client sent them (null where it left one out); {@link
 * InferenceService} fills the defaults once the prompt length and the model's limits are known.
 *
 * @param steps sampling steps (default: gen_length)
 * @param genLength tokens to generate ({@code max_tokens} is an alias; default 32)
 * @param blockLength semi-autoregressive block size (default: gen_length)
 * @param temperature 0 (the LLaDA default, greedy) or more for Gumbel sampling
 * @param cfgScale classifier-free guidance weight, 0 off
 * @param remasking low_confidence (default) or random
 * @param seed seeds the noise; random when absent
 * @param acceleration {@code sampler: "fast"}: confidence-aware parallel decoding ({@code
 *     threshold}, default 0.9), the KV {@code cache} (default dual) and early stop; null for the
 *     reference sampler (the default)
 */
public record DiffusionParams(
    Integer steps,
    Integer genLength,
    Integer blockLength,
    double temperature,
    double cfgScale,
    Remasking remasking,
    Long seed,
    Acceleration acceleration) {

  public static final int DEFAULT_GEN_LENGTH = 32;
}
