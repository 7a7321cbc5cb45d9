package dev.llada.platform.application;

/**
 * Quota limits of a tenant or of one of its keys; null means no limit at that level.
 *
 * @param requestsPerMinute requests admitted per UTC minute
 * @param tokensPerDay generated tokens per UTC day
 * @param computeUnitsPerMonth compute units per UTC month; a diffusion request costs steps ×
 *     sequence length × (2 with CFG), known before it runs
 * @param maxConcurrent requests in flight at once
 */
public record Limits(
    Long requestsPerMinute, Long tokensPerDay, Long computeUnitsPerMonth, Long maxConcurrent) {

  public static final Limits NONE = new Limits(null, null, null, null);

  public Limits {
    positive("requests_per_minute", requestsPerMinute);
    positive("tokens_per_day", tokensPerDay);
    positive("compute_units_per_month", computeUnitsPerMonth);
    positive("max_concurrent", maxConcurrent);
  }

  private static void positive(String name, Long v) {
    if (v != null && v <= 0) {
      throw new InvalidRequestException(name, name + " must be a positive integer or null");
    }
  }
}
