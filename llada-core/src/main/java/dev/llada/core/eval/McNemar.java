package dev.llada.core.eval;

/**
 * McNemar's paired test on per-item correctness (acceleration.md §9.1): the exact two-sided
 * binomial test on the discordant pairs, {@code b} items only the baseline got right and {@code c}
 * only the method did.
 */
public final class McNemar {

  private McNemar() {}

  /** The two-sided p-value; 1 when there is no discordant pair. */
  public static double p(int b, int c) {
    int n = b + c;
    if (n == 0) {
      return 1;
    }
    int k = Math.min(b, c);
    double tail = 0;
    double logHalfN = n * Math.log(0.5);
    for (int i = 0; i <= k; i++) {
      tail += Math.exp(logChoose(n, i) + logHalfN);
    }
    return Math.min(1, 2 * tail);
  }

  private static double logChoose(int n, int k) {
    double s = 0;
    for (int i = 1; i <= k; i++) {
      s += Math.log(n - k + i) - Math.log(i);
    }
    return s;
  }
}
