package dev.llada.core.eval;

/** The Wilson score interval for a binomial proportion (95 %: z = 1.96). */
public final class Wilson {

  private Wilson() {}

  /** {lower, upper} for {@code successes} out of {@code n}. */
  public static double[] interval(int successes, int n) {
    if (n == 0) {
      return new double[] {0, 1};
    }
    double z = 1.959963984540054;
    double p = (double) successes / n;
    double denominator = 1 + z * z / n;
    double centre = (p + z * z / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    double lower = successes == 0 ? 0 : Math.max(0, centre - half); // exact at the edges
    double upper = successes == n ? 1 : Math.min(1, centre + half);
    return new double[] {Math.min(lower, p), Math.max(upper, p)};
  }
}
