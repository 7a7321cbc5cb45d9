package dev.llada.platform.domain;

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

  /** The largest value of the limits stored as 32-bit integers (requests, concurrency). */
  public static final long MAX_INT_LIMIT = Integer.MAX_VALUE;

  public Limits {
    within("requests_per_minute", requestsPerMinute, MAX_INT_LIMIT);
    within("tokens_per_day", tokensPerDay, Long.MAX_VALUE);
    within("compute_units_per_month", computeUnitsPerMonth, Long.MAX_VALUE);
    within("max_concurrent", maxConcurrent, MAX_INT_LIMIT);
  }

  private static void within(String name, Long v, long max) {
    if (v != null && (v <= 0 || v > max)) {
      throw new InvalidRequestException(
          name, name + " must be an integer from 1 to " + max + " or null, got " + v);
    }
  }
}
