package dev.llada.core.cli;

import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import picocli.CommandLine.Mixin;
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

  @Mixin SamplerChoice choice;

  /** The sampler the options name, on {@code model}. */
  Sampler sampler(MaskPredictor model, SpecialTokens special) {
    return choice.sampler(model, special);
  }

  SamplingConfig config() {
    return config(genLength);
  }

  /**
   * The knobs, with {@code defaultBlock} as the block length when none was given and it divides the
   * generation and the steps evenly (else one block, generate.py's default).
   */
  SamplingConfig config(int defaultBlock) {
    if (choice.samplerName.equals("fast")
        && Remasking.parse(remasking) != Remasking.LOW_CONFIDENCE) {
      throw new IllegalArgumentException(
          "--sampler fast ranks by confidence: it needs --remasking low_confidence");
    }
    choice.acceleration(); // bad sampler options fail before the model loads
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
