package dev.llada.core.cli;

import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SpecialTokens;
import picocli.CommandLine.Option;

/** Which sampler runs and the fast sampler's switches; shared by generate, chat and eval. */
final class SamplerChoice {

  @Option(
      names = "--sampler",
      defaultValue = "reference",
      description =
          "reference (generate.py, token for token) or fast (the ladder's best: parallel decoding"
              + " τ 0.9, dual KV cache refreshed incrementally, early stop; the switches below change"
              + " it) (default: ${DEFAULT-VALUE})")
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

  @Option(
      names = "--cache",
      paramLabel = "KIND",
      description = "fast: none, prefix or dual (Fast-dLLM's block-wise KV cache; default dual)")
  String cache;

  @Option(
      names = "--refresh",
      paramLabel = "HOW",
      description =
          "fast: at a block boundary recompute the whole canvas (whole, Fast-dLLM) or from the block"
              + " just decoded on (incremental, the default)")
  String refresh;

  @Option(
      names = "--no-early-stop",
      description = "fast: run every block even when each answer is already fixed")
  boolean noEarlyStop;

  /**
   * The switches the options name: null for the reference sampler (where the fast options are an
   * error); for {@code fast}, τ = 0.9 unless {@code --threshold} or {@code --factor}, the dual
   * cache unless {@code --cache}, refreshed incrementally unless {@code --refresh whole} (the
   * ladder's best method, docs/BENCHMARKS.md 2026-12-02 (b)), early stop unless {@code
   * --no-early-stop}.
   */
  Acceleration acceleration() {
    switch (samplerName) {
      case "reference" -> {
        if (threshold != null
            || factor != null
            || cache != null
            || refresh != null
            || noEarlyStop) {
          throw new IllegalArgumentException(
              "--threshold, --factor, --cache, --refresh and --no-early-stop need --sampler fast");
        }
        return null;
      }
      case "fast" -> {
        if (threshold != null && factor != null) {
          throw new IllegalArgumentException("give --threshold or --factor, not both");
        }
        ParallelDecoding rule =
            factor != null
                ? ParallelDecoding.factor(factor)
                : ParallelDecoding.threshold(threshold == null ? 0.9 : threshold);
        Acceleration.Cache kind =
            cache == null ? Acceleration.Cache.DUAL : Acceleration.Cache.of(cache);
        boolean incremental =
            switch (refresh == null ? "incremental" : refresh) {
              case "incremental" -> kind != Acceleration.Cache.NONE;
              case "whole" -> false;
              default ->
                  throw new IllegalArgumentException(
                      "--refresh must be whole or incremental, got '" + refresh + "'");
            };
        if (refresh != null && incremental != "incremental".equals(refresh)) {
          throw new IllegalArgumentException("--refresh incremental needs a cache");
        }
        return new Acceleration(rule, kind, !noEarlyStop, incremental);
      }
      default ->
          throw new IllegalArgumentException(
              "--sampler must be reference or fast, got '" + samplerName + "'");
    }
  }

  /** The sampler the options name, on {@code model}. */
  Sampler sampler(MaskPredictor model, SpecialTokens special) {
    Acceleration a = acceleration();
    return a == null ? new ReferenceSampler(model, special) : new FastSampler(model, special, a);
  }

  /** What the JSON output says ran: {@code reference}, or {@code fast} and its switches. */
  String label() {
    Acceleration a = acceleration();
    return a == null ? "reference" : "fast(" + a.label() + ")";
  }
}
