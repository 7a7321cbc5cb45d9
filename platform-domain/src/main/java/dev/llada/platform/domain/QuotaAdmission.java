package dev.llada.platform.domain;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The quota policy, in plain Java (issue #14, item 3): whether a request may pass, given the limits
 * of its tenant and of its key, what each has used in the current windows, and what the request
 * would add. Windows are the UTC minute (requests), day (generated tokens) and month (compute
 * units), cut by the database clock; concurrency has one window that never ends. The ledger adapter
 * loads the usage, asks here, and writes the reservation only when this admits it.
 */
public final class QuotaAdmission {

  private QuotaAdmission() {}

  /**
   * One scope: its limits and its use of the current windows. A metric whose limit is null is not
   * checked, so its use may be left at 0.
   *
   * @param who "tenant" or "API key", for the messages
   */
  public record Usage(
      String who, Limits limits, long requests, long tokens, long units, long concurrent) {}

  /** The current windows' starts and the moment they were cut at. */
  public record Windows(Instant now, Instant minute, Instant day, Instant month) {}

  /**
   * Admits the request and returns what the rate-limit headers report (the tighter of the scopes),
   * or refuses it with {@link QuotaExceededException} naming the limit and when to retry.
   */
  public static RateLimitStatus admit(
      List<Usage> scopes, Windows w, int maxCompletionTokens, long computeUnits) {
    long reqLimit = -1;
    long reqRemaining = Long.MAX_VALUE;
    long tokLimit = -1;
    long tokRemaining = Long.MAX_VALUE;
    long minuteReset = secondsUntil(w.now(), w.minute().plusSeconds(60));
    long dayReset = secondsUntil(w.now(), w.day().plusSeconds(86_400));
    for (Usage s : scopes) {
      Limits l = s.limits();
      if (l.requestsPerMinute() != null) {
        long left = l.requestsPerMinute() - s.requests();
        if (left < 1) {
          throw new QuotaExceededException(
              "rate_limit_exceeded",
              "Rate limit reached for this "
                  + s.who()
                  + ": "
                  + l.requestsPerMinute()
                  + " requests per minute. Retry after the window resets.",
              new RateLimitStatus(l.requestsPerMinute(), 0, minuteReset, -1, -1, 0),
              minuteReset);
        }
        if (left - 1 < reqRemaining) {
          reqRemaining = left - 1;
          reqLimit = l.requestsPerMinute();
        }
      }
      if (l.tokensPerDay() != null) {
        long left = l.tokensPerDay() - s.tokens();
        if (left < maxCompletionTokens) {
          throw new QuotaExceededException(
              "insufficient_quota",
              "This request may generate "
                  + maxCompletionTokens
                  + " tokens but the "
                  + s.who()
                  + " has "
                  + Math.max(0, left)
                  + " of its "
                  + l.tokensPerDay()
                  + " generated tokens per day left.",
              new RateLimitStatus(-1, -1, 0, l.tokensPerDay(), Math.max(0, left), dayReset),
              dayReset);
        }
        if (left - maxCompletionTokens < tokRemaining) {
          tokRemaining = left - maxCompletionTokens;
          tokLimit = l.tokensPerDay();
        }
      }
      if (l.computeUnitsPerMonth() != null) {
        long left = l.computeUnitsPerMonth() - s.units();
        if (left < computeUnits) {
          long monthReset =
              secondsUntil(w.now(), w.month().atOffset(ZoneOffset.UTC).plusMonths(1).toInstant());
          throw new QuotaExceededException(
              "insufficient_quota",
              "This request costs "
                  + computeUnits
                  + " compute units (steps x sequence length x 2 with CFG) but the "
                  + s.who()
                  + " has "
                  + Math.max(0, left)
                  + " of its "
                  + l.computeUnitsPerMonth()
                  + " per month left.",
              RateLimitStatus.NONE,
              monthReset);
        }
      }
      if (l.maxConcurrent() != null && s.concurrent() >= l.maxConcurrent()) {
        throw new QuotaExceededException(
            "rate_limit_exceeded",
            "The "
                + s.who()
                + " has "
                + s.concurrent()
                + " requests in flight, its limit is "
                + l.maxConcurrent()
                + ". Retry when one finishes.",
            RateLimitStatus.NONE,
            1);
      }
    }
    return new RateLimitStatus(
        reqLimit,
        reqLimit < 0 ? -1 : reqRemaining,
        minuteReset,
        tokLimit,
        tokLimit < 0 ? -1 : tokRemaining,
        dayReset);
  }

  /** Whole seconds from {@code now} to {@code then}, rounded up, at least 1. */
  static long secondsUntil(Instant now, Instant then) {
    return Math.max(1, (then.toEpochMilli() - now.toEpochMilli() + 999) / 1000);
  }
}
