package dev.llada.core.sampling;

/**
 * The knobs of {@code generate()} (llada-spec §2.1), validated as the reference asserts them.
 *
 * @param steps sampling steps over the whole generation (NFE without CFG)
 * @param genLength tokens to generate
 * @param blockLength semi-autoregressive block size; {@code genLength} is pure diffusion
 * @param temperature 0 for greedy; otherwise Gumbel-max sampling in float64
 * @param cfgScale classifier-free guidance weight w; 0 turns it off
 * @param remasking which predictions to commit at each step
 * @param logitsEosInf never generate EOS (its logit is −∞ everywhere)
 * @param confidenceEosEotInf give EOS/EoT predictions confidence 0 (llada-spec §2.7)
 */
public record SamplingConfig(
    int steps,
    int genLength,
    int blockLength,
    double temperature,
    double cfgScale,
    Remasking remasking,
    boolean logitsEosInf,
    boolean confidenceEosEotInf) {

  public SamplingConfig {
    if (genLength < 1) {
      throw new IllegalArgumentException("gen_length must be >= 1, got " + genLength);
    }
    if (blockLength < 1) {
      throw new IllegalArgumentException("block_length must be >= 1, got " + blockLength);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (genLength % blockLength != 0) {
      throw new IllegalArgumentException(
          "gen_length (" + genLength + ") must be divisible by block_length (" + blockLength + ")");
    }
    int blocks = genLength / blockLength;
    if (steps % blocks != 0) {
      throw new IllegalArgumentException(
          "steps ("
              + steps
              + ") must be divisible by the number of blocks gen_length/block_length = "
              + blocks);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
    }
    if (!(cfgScale >= 0) || Double.isInfinite(cfgScale)) {
      throw new IllegalArgumentException("cfg_scale must be finite and >= 0, got " + cfgScale);
    }
    if (remasking == null) {
      throw new IllegalArgumentException("remasking is required");
    }
  }

  /** The reference defaults: 128 steps, 128 tokens, one block, greedy, no CFG, low confidence. */
  public static SamplingConfig defaults() {
    return new SamplingConfig(128, 128, 128, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false);
  }

  public int numBlocks() {
    return genLength / blockLength;
  }

  public int stepsPerBlock() {
    return steps / numBlocks();
  }

  public SamplingConfig withSteps(int s) {
    return new SamplingConfig(
        s,
        genLength,
        blockLength,
        temperature,
        cfgScale,
        remasking,
        logitsEosInf,
        confidenceEosEotInf);
  }
}
