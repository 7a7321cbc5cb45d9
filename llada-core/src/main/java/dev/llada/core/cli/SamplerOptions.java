package dev.llada.core.cli;

import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import picocli.CommandLine.Option;

/** The sampler knobs of {@code generate.py}, with its defaults. */
final class SamplerOptions {

  @Option(
      names = "--steps",
      defaultValue = "128",
      description = "sampling steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--gen-length",
      defaultValue = "128",
      description = "tokens to generate (default: ${DEFAULT-VALUE})")
  int genLength;

  @Option(names = "--block-length", description = "semi-autoregressive block (default: gen-length)")
  Integer blockLength;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      description = "0 = greedy (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(
      names = "--cfg-scale",
      defaultValue = "0",
      description = "classifier-free guidance (default: ${DEFAULT-VALUE})")
  double cfgScale;

  @Option(
      names = "--remasking",
      defaultValue = "low_confidence",
      description = "low_confidence or random (default: ${DEFAULT-VALUE})")
  String remasking;

  @Option(names = "--logits-eos-inf", description = "never generate EOS")
  boolean logitsEosInf;

  @Option(names = "--confidence-eos-eot-inf", description = "EOS/EoT predictions get confidence 0")
  boolean confidenceEosEotInf;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "random seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--sampler",
      defaultValue = "reference",
      description =
          "reference (generate.py, token for token) or fast (confidence-aware parallel decoding;"
              + " --threshold, default 0.9, or --factor) (default: ${DEFAULT-VALUE})")
  String samplerName;

  @Option(
      names = "--threshold",
      paramLabel = "TAU",
      description = "fast: commit every candidate with confidence >= TAU, at least one a step")
  Double threshold;

  @Option(
      names = "--factor",
      paramLabel = "F",
      description = "fast: the factor rule, (n + 1)(1 - c_n) < F (instead of --threshold)")
  Double factor;

  /** The sampler the options name, on {@code model}. */
  Sampler sampler(MaskPredictor model, SpecialTokens special) {
    ParallelDecoding rule = parallel(samplerName, threshold, factor);
    return rule == null
        ? new ReferenceSampler(model, special)
        : new FastSampler(model, special, rule);
  }

  /**
   * The rule {@code --sampler}, {@code --threshold} and {@code --factor} name: null for the
   * reference sampler; τ = 0.9 for {@code fast} alone. Shared with {@code eval}.
   */
  static ParallelDecoding parallel(String samplerName, Double threshold, Double factor) {
    switch (samplerName) {
      case "reference" -> {
        if (threshold != null || factor != null) {
          throw new IllegalArgumentException("--threshold and --factor need --sampler fast");
        }
        return null;
      }
      case "fast" -> {
        if (threshold != null && factor != null) {
          throw new IllegalArgumentException("give --threshold or --factor, not both");
        }
        return factor != null
            ? ParallelDecoding.factor(factor)
            : ParallelDecoding.threshold(threshold == null ? 0.9 : threshold);
      }
      default ->
          throw new IllegalArgumentException(
              "--sampler must be reference or fast, got '" + samplerName + "'");
    }
  }

  SamplingConfig config() {
    return config(genLength);
  }

  /**
   * The knobs, with {@code defaultBlock} as the block length when none was given and it divides the
   * generation and the steps evenly (else one block, generate.py's default).
   */
  SamplingConfig config(int defaultBlock) {
    if (samplerName.equals("fast") && Remasking.parse(remasking) != Remasking.LOW_CONFIDENCE) {
      throw new IllegalArgumentException(
          "--sampler fast ranks by confidence: it needs --remasking low_confidence");
    }
    parallel(samplerName, threshold, factor); // bad sampler options fail before the model loads
    int block = genLength;
    if (blockLength != null) {
      block = blockLength;
    } else if (defaultBlock > 0
        && genLength % defaultBlock == 0
        && steps % (genLength / defaultBlock) == 0) {
      block = defaultBlock;
    }
    return new SamplingConfig(
        steps,
        genLength,
        block,
        temperature,
        cfgScale,
        Remasking.parse(remasking),
        logitsEosInf,
        confidenceEosEotInf);
  }
}
