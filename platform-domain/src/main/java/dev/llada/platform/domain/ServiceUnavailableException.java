package dev.llada.platform.domain;

/** A dependency (database, worker) is down; the request was not run and may be retried (503). */
public final class ServiceUnavailableException extends PlatformException {
  private static final long serialVersionUID = 1L;

  private final long retryAfterSeconds;

  public ServiceUnavailableException(String code, String message) {
    this(code, message, 0);
  }

  /** With a {@code Retry-After} to report (0: none). */
  public ServiceUnavailableException(String code, String message, long retryAfterSeconds) {
    super(503, code, null, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
