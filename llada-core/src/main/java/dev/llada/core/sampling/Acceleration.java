package dev.llada.core.sampling;

import java.util.Locale;

/**
 * The switches of the {@link FastSampler}, each one technique of acceleration.md §8–§9.2:
 *
 * <ul>
 *   <li>{@code parallel}: confidence-aware parallel decoding (τ or factor, Fast-dLLM §3.2), or null
 *       for the reference sampler's fixed quota per step;
 *   <li>{@code cache}: Fast-dLLM's block-wise approximate KV cache, refreshed by a full forward at
 *       each block's first step: {@link Cache#PREFIX} recomputes from the block's start to the end
 *       of the canvas, {@link Cache#DUAL} only the block;
 *   <li>{@code earlyStop}: stop as soon as every row's answer is fixed — a stop token (EOS or EoT)
 *       committed with no mask before it — and pad the rest with EOS. Exact: committed tokens never
 *       change, so the answer (up to the first stop token) is the one the full run gives;
 *   <li>{@code incrementalRefresh} (ours, not in Fast-dLLM; after dKV-Cache's delayed caching and
 *       d2Cache's selective refresh): at a block boundary the cache is refreshed from the block
 *       just decoded to the end of the canvas, and the keys and values before it — the prompt's and
 *       the earlier blocks' — are kept as they were computed. With a long prompt the refresh, which
 *       dominates the dual cache's cost (acceleration.md §9.6), shrinks from P + L to about L − kB
 *       + B positions; an approximation whose cost the ladder reports.
 * </ul>
 *
 * With no parallel rule and no cache the output is the reference sampler's (early stop changes only
 * what follows the answer); a cache is an approximation whose accuracy cost the bench reports.
 */
public record Acceleration(
    ParallelDecoding parallel, Cache cache, boolean earlyStop, boolean incrementalRefresh) {

  /** Which KV cache, the platform's {@code cache} knob. */
  public enum Cache {
    NONE,
    PREFIX,
    DUAL;

    /** {@code none}, {@code prefix} or {@code dual}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The cache of a wire name, or an exception naming the known ones. */
    public static Cache of(String name) {
      for (Cache c : values()) {
        if (c.wireName().equals(name)) {
          return c;
        }
      }
      throw new IllegalArgumentException(
          "unknown cache '" + name + "': expected none, prefix or dual");
    }
  }

  public Acceleration {
    java.util.Objects.requireNonNull(cache, "cache");
    if (incrementalRefresh && cache == Cache.NONE) {
      throw new IllegalArgumentException("an incremental refresh needs a cache");
    }
  }

  /** Fast-dLLM's switches, with or without early stop; the cache refreshed whole. */
  public Acceleration(ParallelDecoding parallel, Cache cache, boolean earlyStop) {
    this(parallel, cache, earlyStop, false);
  }

  /** Parallel decoding alone: Fast-dLLM's {@code generate} with a threshold or factor. */
  public static Acceleration parallel(ParallelDecoding rule) {
    return new Acceleration(rule, Cache.NONE, false, false);
  }

  /** A short label for reports: {@code tau=0.9+dual+stop}. */
  public String label() {
    StringBuilder s = new StringBuilder();
    if (parallel != null) {
      s.append(
          parallel.rule() == ParallelDecoding.Rule.THRESHOLD
              ? "tau=" + parallel.value()
              : "factor=" + parallel.value());
    } else {
      s.append("quota");
    }
    if (cache != Cache.NONE) {
      s.append('+').append(cache.wireName());
    }
    if (incrementalRefresh) {
      s.append("+inc");
    }
    if (earlyStop) {
      s.append("+stop");
    }
    return s.toString();
  }
}
