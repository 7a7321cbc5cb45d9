package dev.llada.core.training;

/**
 * Linear warm-up to the peak, then either WSD (stable at the peak, linear decay over the last
 * {@code decayFraction} of the steps) or cosine decay, both ending at {@code peak × minLrRatio}.
 */
public record LearningRateSchedule(
    double peak, int warmup, int steps, String kind, double decayFraction, double minLrRatio) {

  /** Learning rate for 0-based step {@code s}. */
  public double at(int s) {
    if (warmup > 0 && s < warmup) {
      return peak * (s + 1) / warmup;
    }
    double floor = peak * minLrRatio;
    if (kind.equals("cosine")) {
      double progress = (double) (s - warmup) / Math.max(1, steps - warmup);
      return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }
    int decaySteps = (int) Math.round(steps * decayFraction);
    int decayStart = steps - decaySteps;
    if (decaySteps == 0 || s < decayStart) {
      return peak;
    }
    double progress = (double) (s - decayStart + 1) / decaySteps;
    return peak + (floor - peak) * Math.min(1, progress);
  }
}
