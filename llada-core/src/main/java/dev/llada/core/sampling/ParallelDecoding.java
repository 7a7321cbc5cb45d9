package dev.llada.core.sampling;

import java.util.List;

/**
 * Which of a step's candidates confidence-aware parallel decoding commits (Fast-dLLM §3.2,
 * acceleration.md §2.2), from the candidates ranked by confidence; the first is always committed,
 * so every step makes progress.
 *
 * <ul>
 *   <li>{@link #threshold(double)}: every candidate with confidence ≥ τ (Fast-dLLM's default 0.9).
 *   <li>{@link #factor(double)}: the longest ranked prefix whose n-th confidence c satisfies (n +
 *       1)(1 − c) &lt; f, Theorem 1's condition for the product of marginals to decode as the joint
 *       would ({@code get_transfer_index_dynamic}).
 * </ul>
 */
public record ParallelDecoding(Rule rule, double value) {

  /** The two published rules. */
  public enum Rule {
    THRESHOLD,
    FACTOR
  }

  public ParallelDecoding {
    java.util.Objects.requireNonNull(rule, "rule");
    if (rule == Rule.THRESHOLD && !(value > 0 && value <= 1)) {
      throw new IllegalArgumentException("threshold must be in (0, 1], got " + value);
    }
    if (rule == Rule.FACTOR && !(value > 0 && Double.isFinite(value))) {
      throw new IllegalArgumentException("factor must be positive, got " + value);
    }
  }

  public static ParallelDecoding threshold(double tau) {
    return new ParallelDecoding(Rule.THRESHOLD, tau);
  }

  public static ParallelDecoding factor(double f) {
    return new ParallelDecoding(Rule.FACTOR, f);
  }

  /** How many of the ranked confidences to commit (at least one when there is any). */
  int accepted(List<Double> ranked) {
    if (ranked.isEmpty()) {
      return 0;
    }
    int n = 1;
    while (n < ranked.size()) {
      double c = ranked.get(n);
      boolean ok =
          rule == Rule.THRESHOLD ? c >= value : (n + 2) * (1 - c) < value; // 1-based j = n + 1
      if (!ok) {
        break;
      }
      n++;
    }
    return n;
  }
}
