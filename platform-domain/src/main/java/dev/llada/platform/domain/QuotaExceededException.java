package dev.llada.platform.domain;

/**
 * A limit of the tenant or of the key would be exceeded (429). Nothing was reserved.
 *
 * <p>Carries what the {@code Retry-After} and {@code x-ratelimit-*} headers report.
 */
public final class QuotaExceededException extends PlatformException {
  private static final long serialVersionUID = 1L;

  private final RateLimitStatus limits;
  private final long retryAfterSeconds;

  public QuotaExceededException(
      String code, String message, RateLimitStatus limits, long retryAfterSeconds) {
    super(429, code, null, message);
    this.limits = limits;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public RateLimitStatus limits() {
    return limits;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
